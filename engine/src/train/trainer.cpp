#include "train/trainer.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <utility>

#include "distill/errors.h"
#include "kd/losses.h"
#include "parallel/collective.h"
#include "util/threads.h"

namespace distill {

double learningRateAt(int step, int totalSteps, const TrainConfig& train) {
  if (train.warmup_steps > 0 && step < train.warmup_steps)
    return train.lr * static_cast<double>(step + 1) / static_cast<double>(train.warmup_steps);
  const int decaySteps = std::max(1, totalSteps - train.warmup_steps);
  const double progress =
      std::min(1.0, static_cast<double>(step - train.warmup_steps) / static_cast<double>(decaySteps));
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));
  return train.min_lr + cosine * (train.lr - train.min_lr);
}

ModelTrainer::ModelTrainer(std::string name, LanguageModel model, const TrainConfig& train, int totalSteps,
                           std::unique_ptr<FeatureSetup> features)
    : m_name(std::move(name)),
      m_model(std::move(model)),
      m_train(train),
      m_totalSteps(totalSteps),
      m_features(std::move(features)),
      m_scaler(train.precision == Precision::Fp16) {
  m_parameters = m_model->parameters();
  if (m_features) {
    for (const auto& p : m_features->projector->parameters()) m_parameters.push_back(p);
  }
  // Weight decay on matrices only (nanoGPT): biases, norms and 1-D parameters are not decayed.
  std::vector<torch::Tensor> decay, noDecay;
  for (const auto& p : m_parameters) {
    if (!p.requires_grad()) continue;
    (p.dim() >= 2 ? decay : noDecay).push_back(p);
  }
  auto options =
      torch::optim::AdamWOptions(train.lr).betas({train.beta1, train.beta2}).weight_decay(train.weight_decay);
  auto noDecayOptions = options;
  noDecayOptions.weight_decay(0.0);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(options));
  if (!noDecay.empty())
    groups.emplace_back(noDecay, std::make_unique<torch::optim::AdamWOptions>(noDecayOptions));
  m_optimizer = std::make_unique<torch::optim::AdamW>(groups, options);
}

void ModelTrainer::saveState(torch::serialize::OutputArchive& archive) const {
  torch::serialize::OutputArchive optimizer;
  m_optimizer->save(optimizer);
  archive.write("optimizer", optimizer);
  if (m_features) {
    torch::serialize::OutputArchive projector;
    m_features->projector->save(projector);
    archive.write("projector", projector);
  }
  archive.write("step", c10::IValue(static_cast<int64_t>(m_step)));
  archive.write("lr", c10::IValue(m_train.lr));
  archive.write("min_lr", c10::IValue(m_train.min_lr));
}

void ModelTrainer::loadState(torch::serialize::InputArchive& archive) {
  try {
    torch::serialize::InputArchive optimizer;
    archive.read("optimizer", optimizer);
    m_optimizer->load(optimizer);
    if (m_features) {
      torch::serialize::InputArchive projector;
      archive.read("projector", projector);
      m_features->projector->load(projector);
    }
    c10::IValue step, lr, minLr;
    archive.read("step", step);
    archive.read("lr", lr);
    archive.read("min_lr", minLr);
    m_step = static_cast<int>(step.toInt());
    m_train.lr = lr.toDouble();
    m_train.min_lr = minLr.toDouble();
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    throw EngineError("model '" + m_name +
                      "': its saved optimizer state does not fit: " + what.substr(0, what.find('\n')));
  }
}

void ModelTrainer::setPeakLearningRate(double lr) {
  m_train.min_lr = m_train.lr > 0.0 ? m_train.min_lr * lr / m_train.lr : 0.0;
  m_train.lr = lr;
}

namespace {

/// Rows [begin, end) of chunk c when B rows are split into `chunks` nearly equal parts.
std::pair<int64_t, int64_t> chunkRows(int64_t B, size_t c, int64_t chunks) {
  return {B * static_cast<int64_t>(c) / chunks, B * static_cast<int64_t>(c + 1) / chunks};
}

SoftTargets rowsOf(const SoftTargets& t, int64_t begin, int64_t end) {
  auto rows = [&](const torch::Tensor& x) { return x.defined() ? x.slice(0, begin, end) : x; };
  SoftTargets out = t;
  out.teacherLogits = rows(t.teacherLogits);
  out.cachedIds = rows(t.cachedIds);
  out.cachedLogProbs = rows(t.cachedLogProbs);
  out.positionMask = rows(t.positionMask);
  return out;
}

/// The chunks' loss and terms as numbers, read from the device in one transfer. The chunks' shares
/// of each term add up to the batch's value (in chunk order).
void readLosses(std::vector<StudentLoss>& parts, PendingStep& out) {
  std::vector<torch::Tensor> values;
  auto gather = [&](StudentLoss& part) {
    values.push_back(part.total.reshape({1}));
    part.terms.forEach([&](const char*, torch::Tensor& term) {
      if (term.defined()) values.push_back(term.reshape({1}));
    });
  };
  for (auto& part : parts) gather(part);
  const auto host = torch::cat(values).to(torch::kCPU, torch::kFloat64);
  const double* read = host.data_ptr<double>();
  auto add = [](std::optional<double>& sum, double value) { sum = sum.value_or(0.0) + value; };
  std::optional<double> total;
  std::optional<double>* sums[] = {&out.terms.soft, &out.terms.hard, &out.terms.hidden, &out.terms.attention};
  for (auto& part : parts) {
    add(total, *read++);
    size_t index = 0;  // forEach visits the terms in declaration order, as sums lists them
    part.terms.forEach([&](const char*, torch::Tensor& value) {
      if (value.defined()) add(*sums[index], *read++);
      ++index;
    });
  }
  out.loss = *total;
}

}  // namespace

torch::Tensor forwardInChunks(LanguageModelImpl& model, const torch::Tensor& x, int workers,
                              Precision precision) {
  torch::NoGradGuard noGrad;
  const int64_t B = x.size(0);
  const int64_t chunks = x.is_cpu() ? std::min<int64_t>(std::max(1, workers), B) : 1;
  if (chunks == 1) {
    const AutocastScope autocast(x.device().type(), precision);
    return model.forward(x);
  }
  std::vector<torch::Tensor> parts(static_cast<size_t>(chunks));
  const BlasThreadsScope oneBlasThreadPerChunk(1);
  const auto failures = runSideBySide(static_cast<size_t>(chunks), static_cast<int>(chunks), [&](size_t c) {
    torch::NoGradGuard noGradHere;  // grad mode and autocast are per thread
    const AutocastScope autocast(x.device().type(), precision);
    const auto [begin, end] = chunkRows(B, c, chunks);
    parts[c] = model.forward(x.slice(0, begin, end));
  });
  for (const auto& failure : failures)
    if (failure) std::rethrow_exception(failure);
  return torch::cat(parts, 0);
}

StudentLoss ModelTrainer::lossOn(const Batch& batch, const SoftTargets* targets,
                                 const DistillConfig* distill) {
  if (targets && distill) return studentLoss(*m_model, batch, *targets, *distill, m_features.get());
  StudentLoss out;
  out.total = out.terms.hard = crossEntropy(m_model->forward(batch.x), batch.y, batch.mask);
  return out;
}

void ModelTrainer::setParallelism(int workers) { m_parallelism = std::max(1, workers); }

StepLosses ModelTrainer::step(const Batch& batch, const SoftTargets* targets, const DistillConfig* distill) {
  return applyGradients(computeGradients(batch, targets, distill));
}

PendingStep ModelTrainer::computeGradients(const Batch& batch, const SoftTargets* targets,
                                           const DistillConfig* distill) {
  PendingStep out;
  out.start = std::chrono::steady_clock::now();
  out.lr = learningRateAt(m_step, m_totalSteps, m_train);
  m_model->train();
  m_optimizer->zero_grad();

  // Row chunks run forward and backward side by side, one thread each, and their gradients meet
  // in the parameters' .grad (two contributions: a + b = b + a, so the result does not depend on
  // which thread finishes first). Elementwise ops, not only matmuls, then use every core.
  // Feature losses keep one chunk (their teacher trace is not split), and so does dropout: threads
  // drawing masks from one generator in racing order would make runs irreproducible.
  const int64_t B = batch.x.size(0);
  const auto device = batch.x.device().type();
  const bool onCpu = device == torch::kCPU;
  const bool splittable = onCpu && !(targets && targets->teacherTrace) && m_model->spec().dropout == 0.0;
  const int64_t chunks = splittable ? std::min<int64_t>(m_parallelism, B) : 1;
  std::vector<StudentLoss> parts(static_cast<size_t>(chunks));
  std::atomic<bool> finite{true};
  // A chunk's share of the batch mean: its rows, or with a target mask its counted targets
  // (response tokens) of the batch's, counted once here rather than in every chunk.
  const bool countTargets = chunks > 1 && batch.mask.defined();
  const double batchTargets = countTargets ? std::max(1.0, batch.mask.sum().item<double>()) : 0.0;
  auto runChunk = [&](size_t c) {
    const auto [begin, end] = chunkRows(B, c, chunks);
    const Batch rows = chunks == 1 ? batch : batch.rows(begin, end);
    const double share = chunks == 1    ? 1.0
                         : countTargets ? rows.mask.sum().item<double>() / batchTargets
                                        : static_cast<double>(end - begin) / static_cast<double>(B);
    SoftTargets chunkTargets;
    if (targets) chunkTargets = chunks == 1 ? *targets : rowsOf(*targets, begin, end);
    StudentLoss loss;
    {
      // The forward pass in the run's precision; backward follows autocast's casts outside it.
      const AutocastScope autocast(device, m_train.precision);
      loss = lossOn(rows, targets ? &chunkTargets : nullptr, distill);
    }
    // Checked before backward on the CPU, so a NaN/Inf never reaches the gradients. On a GPU that
    // read would stall the queue every step: there a NaN loss comes with NaN gradients, which
    // applyGradients catches (and clears) before any update.
    if (onCpu && !std::isfinite(loss.total.item<double>())) {
      finite = false;
      parts[c] = std::move(loss);
      return;
    }
    (loss.total * (share * m_scaler.scale())).backward();
    auto scale = [share](torch::Tensor& t) {
      if (t.defined()) t = t.detach() * share;
    };
    scale(loss.total);
    loss.terms.forEach([&](const char*, torch::Tensor& term) { scale(term); });
    parts[c] = std::move(loss);
  };
  if (chunks == 1) {
    runChunk(0);
  } else {
    const BlasThreadsScope oneBlasThreadPerChunk(1);
    for (auto& failure : runSideBySide(static_cast<size_t>(chunks), static_cast<int>(chunks), runChunk))
      if (failure) std::rethrow_exception(failure);
  }
  if (!finite) m_optimizer->zero_grad();  // a chunk that did finish must not leave half a gradient
  readLosses(parts, out);
  return out;
}

StepLosses ModelTrainer::applyGradients(const PendingStep& pending) {
  if (!std::isfinite(pending.loss)) {
    m_optimizer->zero_grad();
    throw NonFiniteLossError("model '" + m_name + "': loss became " +
                             (std::isnan(pending.loss) ? "NaN" : "Inf") + " at step " +
                             std::to_string(m_step + 1) + " (try a lower train.lr or a train.grad_clip)");
  }
  StepLosses out;
  out.lr = pending.lr;
  out.loss = pending.loss;
  out.terms = pending.terms;
  for (auto& group : m_optimizer->param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(out.lr);
  // The norm is needed to clip and to catch a NaN/Inf gradient behind a finite loss (an overflow
  // in backward); with clipping off an infinite bound measures without scaling.
  m_scaler.unscale(m_parameters);
  const double gradNorm = torch::nn::utils::clip_grad_norm_(
      m_parameters, m_train.grad_clip > 0.0 ? m_train.grad_clip : std::numeric_limits<double>::infinity());
  // fp16 overflow is a normal event of loss scaling, not a fault: the update is skipped and the
  // scale halved. Only a scale driven below 1 (gradients that stay non-finite) is a fault.
  if (!m_scaler.update(std::isfinite(gradNorm)) && m_scaler.scale() >= 1.0) {
    m_optimizer->zero_grad();
    out.skipped = true;
    ++m_step;
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - pending.start).count();
    return out;
  }
  if (!std::isfinite(gradNorm)) {
    m_optimizer->zero_grad();
    throw NonFiniteLossError("model '" + m_name + "': gradient became " +
                             (std::isnan(gradNorm) ? "NaN" : "Inf") + " at step " +
                             std::to_string(m_step + 1) + " (try a lower train.lr or a train.grad_clip)");
  }
  m_optimizer->step();
  ++m_step;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - pending.start).count();
  return out;
}

void averageAcrossRanks(Collective& group, const std::vector<ModelTrainer*>& trainers,
                        const std::vector<PendingStep*>& pending) {
  // One float buffer: per parameter whether this rank has a gradient, the gradients (absent ones
  // as zeros), then the loss terms. Losses are per-rank means over equal shards, so the average of
  // the ranks' values is the mean over the whole global batch, gradients included.
  std::vector<torch::Tensor> pieces;
  std::vector<torch::Tensor> grads;
  for (auto* trainer : trainers) {
    for (const auto& p : trainer->parameters()) {
      if (!p.requires_grad()) continue;
      const bool present = p.grad().defined();
      pieces.push_back(torch::full({1}, present ? 1.0f : 0.0f));
      grads.push_back(present ? p.grad().reshape({-1}) : torch::zeros({p.numel()}, p.options()));
    }
  }
  const size_t flags = pieces.size();
  // Gloo reduces host memory: gradients on a GPU make the round trip (NCCL is not wired up yet).
  for (auto& g : grads) pieces.push_back(g.to(torch::kCPU, torch::kFloat32));
  for (auto* step : pending) {
    // Absent terms are absent on every rank (same code path); zeros keep the layout fixed.
    step->terms.forEach([&](const char*, const std::optional<double>& term) {
      pieces.push_back(torch::full({1}, static_cast<float>(term.value_or(0.0))));
    });
    pieces.push_back(torch::full({1}, static_cast<float>(step->loss)));
  }
  auto flat = torch::cat(pieces);
  group.sumInPlace(flat);
  const float ranks = static_cast<float>(group.worldSize());
  int64_t offset = 0;
  size_t index = 0;
  torch::NoGradGuard noGrad;
  for (auto* trainer : trainers) {
    for (const auto& p : trainer->parameters()) {
      if (!p.requires_grad()) continue;
      const bool anywhere = flat[static_cast<int64_t>(index)].item<float>() > 0.0f;
      const int64_t n = p.numel();
      const auto mean =
          flat.slice(0, static_cast<int64_t>(flags) + offset, static_cast<int64_t>(flags) + offset + n) /
          ranks;
      if (anywhere) {
        if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
        p.mutable_grad().copy_(mean.view(p.sizes()));
      }
      offset += n;
      ++index;
    }
  }
  int64_t at = static_cast<int64_t>(flags) + offset;
  auto next = [&] { return static_cast<double>(flat[at++].item<float>()) / ranks; };
  for (auto* step : pending) {
    step->terms.forEach([&](const char*, std::optional<double>& term) {
      const double value = next();
      if (term.has_value()) term = value;
    });
    step->loss = next();
  }
}

}  // namespace distill
