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
                    const std::vector<torch::Tensor>* teacherLogits, Collective* group,
                    const std::vector<std::vector<torch::Tensor>>* memberLogits) {
  torch::NoGradGuard noGrad;
  EvalModeScope scope(model);
  EvalResult result;
  // The references the model is compared with: the teacher (or ensemble), then each member.
  std::vector<const std::vector<torch::Tensor>*> references;
  if (teacherLogits) references.push_back(teacherLogits);
  if (teacherLogits && memberLogits)
    for (const auto& member : *memberLogits) references.push_back(&member);
  // Running text: every batch weighs the same (all are full). Examples: each batch weighs its
  // counted targets (response tokens), so the figures are means over response tokens.
  // sums: loss, weight, then agreement and KL per reference.
  std::vector<double> sums(2 + 2 * references.size(), 0.0);
  for (size_t i = 0; i < batches.size(); ++i) {
    if (!ownsBatch(i, group)) continue;
    const auto& mask = batches[i].mask;
    const double w = mask.defined() ? mask.sum().item<double>() : 1.0;
    auto logits = model.forward(batches[i].x);  // (B, T, V)
    sums[0] += w * crossEntropy(logits, batches[i].y, mask).item<double>();
    sums[1] += w;
    const auto predicted = logits.argmax(-1);
    for (size_t r = 0; r < references.size(); ++r) {
      const auto& t = (*references[r])[i];
      const auto agreed = (predicted == t.argmax(-1)).to(torch::kFloat64).reshape({-1});
      sums[2 + 2 * r] += w * maskedMean(agreed, mask.defined() ? mask.reshape({-1}) : mask).item<double>();
      sums[3 + 2 * r] += w * forwardKl(logits, t, 1.0, mask).item<double>();
    }
  }
  if (group) {
    auto reduced = torch::tensor(sums, torch::kFloat64);
    group->sumInPlace(reduced);
    for (size_t k = 0; k < sums.size(); ++k) sums[k] = reduced[static_cast<int64_t>(k)].item<double>();
  }
  const double n = std::max(1.0, sums[1]);
  result.loss = sums[0] / n;
  for (size_t r = 0; r < references.size(); ++r) {
    const TeacherMatch match{sums[2 + 2 * r] / n, sums[3 + 2 * r] / n};
    if (r == 0) {
      result.agreement = match.agreement;
      result.klFromTeacher = match.kl;
    } else {
      result.byTeacher.push_back(match);
    }
  }
  return result;
}

}  // namespace distill
