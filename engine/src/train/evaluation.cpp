#include "train/evaluation.h"

#include "kd/losses.h"
#include "parallel/collective.h"

namespace distill {

namespace {

/// Switches a module to eval mode for a scope.
class EvalModeScope {
public:
  explicit EvalModeScope(torch::nn::Module& module) : m_module(module), m_wasTraining(module.is_training()) {
    m_module.eval();
  }
  ~EvalModeScope() { m_module.train(m_wasTraining); }

private:
  torch::nn::Module& m_module;
  bool m_wasTraining;
};

/// Whether batch i is this rank's to evaluate.
bool ownsBatch(size_t i, const Collective* group) {
  return !group || static_cast<int>(i % static_cast<size_t>(group->worldSize())) == group->rank();
}

}  // namespace

std::vector<torch::Tensor> teacherLogitsFor(LanguageModelImpl& teacher, const std::vector<Batch>& batches,
                                            const Collective* group) {
  torch::NoGradGuard noGrad;
  EvalModeScope scope(teacher);
  std::vector<torch::Tensor> logits(batches.size());
  for (size_t i = 0; i < batches.size(); ++i)
    if (ownsBatch(i, group)) logits[i] = teacher.forward(batches[i].x);
  return logits;
}

EvalResult evaluate(LanguageModelImpl& model, const std::vector<Batch>& batches,
                    const std::vector<torch::Tensor>* teacherLogits, Collective* group) {
  torch::NoGradGuard noGrad;
  EvalModeScope scope(model);
  EvalResult result;
  // Running text: every batch weighs the same (all are full). Examples: each batch weighs its
  // counted targets (response tokens), so the figures are means over response tokens.
  double loss = 0.0, agree = 0.0, kl = 0.0, weight = 0.0;
  for (size_t i = 0; i < batches.size(); ++i) {
    if (!ownsBatch(i, group)) continue;
    const auto& mask = batches[i].mask;
    const double w = mask.defined() ? mask.sum().item<double>() : 1.0;
    auto logits = model.forward(batches[i].x);  // (B, T, V)
    loss += w * crossEntropy(logits, batches[i].y, mask).item<double>();
    if (teacherLogits) {
      const auto& t = (*teacherLogits)[i];
      const auto agreed = (logits.argmax(-1) == t.argmax(-1)).to(torch::kFloat64).reshape({-1});
      agree += w * maskedMean(agreed, mask.defined() ? mask.reshape({-1}) : mask).item<double>();
      kl += w * forwardKl(logits, t, 1.0, mask).item<double>();
    }
    weight += w;
  }
  if (group) {
    auto sums = torch::tensor({loss, agree, kl, weight}, torch::kFloat64);
    group->sumInPlace(sums);
    loss = sums[0].item<double>();
    agree = sums[1].item<double>();
    kl = sums[2].item<double>();
    weight = sums[3].item<double>();
  }
  const double n = std::max(1.0, weight);
  result.loss = loss / n;
  if (teacherLogits) {
    result.agreement = agree / n;
    result.klFromTeacher = kl / n;
  }
  return result;
}

}  // namespace distill
