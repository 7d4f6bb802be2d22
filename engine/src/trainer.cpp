#include "trainer.h"

#include <chrono>
#include <cmath>

#include "distill/errors.h"
#include "losses.h"

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

ModelTrainer::ModelTrainer(std::string name, LanguageModel model, const TrainConfig& train,
                           int totalSteps, std::unique_ptr<FeatureSetup> features)
    : m_name(std::move(name)), m_model(std::move(model)), m_train(train), m_totalSteps(totalSteps),
      m_features(std::move(features)) {
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
  auto options = torch::optim::AdamWOptions(train.lr)
                     .betas({train.beta1, train.beta2})
                     .weight_decay(train.weight_decay);
  auto noDecayOptions = options;
  noDecayOptions.weight_decay(0.0);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(options));
  if (!noDecay.empty())
    groups.emplace_back(noDecay, std::make_unique<torch::optim::AdamWOptions>(noDecayOptions));
  m_optimizer = std::make_unique<torch::optim::AdamW>(groups, options);
}

void ModelTrainer::setPeakLearningRate(double lr) {
  m_train.min_lr = m_train.lr > 0.0 ? m_train.min_lr * lr / m_train.lr : 0.0;
  m_train.lr = lr;
}

StepLosses ModelTrainer::step(const Batch& batch, const SoftTargets* targets, const DistillConfig* distill) {
  const auto start = std::chrono::steady_clock::now();
  StepLosses out;
  out.lr = learningRateAt(m_step, m_totalSteps, m_train);
  for (auto& group : m_optimizer->param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(out.lr);

  m_model->train();
  torch::Tensor loss;
  if (targets && distill) {
    auto terms = studentLoss(*m_model, batch, *targets, *distill, m_features.get());
    loss = terms.total;
    auto value = [](const torch::Tensor& t) { return t.defined() ? std::optional<double>(t.item<double>()) : std::nullopt; };
    out.soft = value(terms.soft);
    out.hard = value(terms.hard);
    out.hidden = value(terms.hidden);
    out.attention = value(terms.attention);
  } else {
    loss = crossEntropy(m_model->forward(batch.x), batch.y);
  }
  out.loss = loss.item<double>();
  if (!std::isfinite(out.loss)) {
    throw NonFiniteLossError("model '" + m_name + "': loss became " + (std::isnan(out.loss) ? "NaN" : "Inf") +
                      " at step " + std::to_string(m_step + 1) +
                      " (try a lower train.lr or a train.grad_clip)");
  }
  if (!targets) out.hard = out.loss;
  m_optimizer->zero_grad();
  loss.backward();
  if (m_train.grad_clip > 0.0) torch::nn::utils::clip_grad_norm_(m_parameters, m_train.grad_clip);
  m_optimizer->step();
  ++m_step;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace distill
