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
  double loss = 0.0, agree = 0.0, kl = 0.0;
  for (size_t i = 0; i < batches.size(); ++i) {
    if (!ownsBatch(i, group)) continue;
    auto logits = model.forward(batches[i].x);  // (B, T, V)
    loss += crossEntropy(logits, batches[i].y).item<double>();
    if (teacherLogits) {
      const auto& t = (*teacherLogits)[i];
      agree += (logits.argmax(-1) == t.argmax(-1)).to(torch::kFloat64).mean().item<double>();
      kl += forwardKl(logits, t, 1.0).item<double>();
    }
  }
  if (group) {
    auto sums = torch::tensor({loss, agree, kl}, torch::kFloat64);
    group->sumInPlace(sums);
    loss = sums[0].item<double>();
    agree = sums[1].item<double>();
    kl = sums[2].item<double>();
  }
  const double n = static_cast<double>(std::max<size_t>(1, batches.size()));
  result.loss = loss / n;
  if (teacherLogits) {
    result.agreement = agree / n;
    result.klFromTeacher = kl / n;
  }
  return result;
}

}  // namespace distill
