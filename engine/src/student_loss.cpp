#include "student_loss.h"

#include "divergences.h"
#include "logit_cache.h"
#include "losses.h"

namespace distill {

StudentLoss studentLoss(LanguageModelImpl& student, const Batch& batch, const SoftTargets& targets,
                        const DistillConfig& distill, FeatureSetup* features) {
  StudentLoss out;
  ForwardTrace trace;
  const bool traced = features && targets.teacherTrace;
  const auto logits = traced ? student.forwardWithTrace(batch.x, trace) : student.forward(batch.x);  // (B, T, V)
  const auto V = logits.size(-1);
  const auto mask = targets.positionMask.defined() ? targets.positionMask.reshape({-1}) : torch::Tensor();

  if (targets.cachedIds.defined()) {
    out.soft = sparseForwardKl(logits, targets.cachedIds, targets.cachedLogProbs, distill.temperature);
  } else if (targets.teacherLogits.defined()) {
    DivergenceOptions divergence;
    parseDivergence(distill.loss, &divergence.kind);  // validated with the config
    divergence.temperature = distill.temperature;
    divergence.beta = distill.beta;
    divergence.skew = distill.skew;
    out.soft = maskedMean(perTokenDivergence(logits.reshape({-1, V}), targets.teacherLogits.reshape({-1, V}), divergence),
                          mask);
  }
  if (targets.hardLabels) out.hard = crossEntropy(logits, batch.y);

  if (out.soft.defined() && out.hard.defined()) {
    out.total = distill.alpha * out.soft + (1.0 - distill.alpha) * out.hard;
  } else {
    TORCH_CHECK(out.soft.defined() || out.hard.defined(), "a student step needs teacher targets or labels");
    out.total = out.soft.defined() ? out.soft : out.hard;
  }

  if (traced) {
    auto terms = featureLosses(trace, *targets.teacherTrace, *features->projector, features->layerMap,
                               parseHiddenLoss(distill.hidden_loss), distill.attention_weight > 0.0);
    out.hidden = terms.hidden;
    out.attention = terms.attention;
    if (out.hidden.defined()) out.total = out.total + distill.hidden_weight * out.hidden;
    if (out.attention.defined()) out.total = out.total + distill.attention_weight * out.attention;
  }
  return out;
}

}  // namespace distill
