#include "kd/student_loss.h"

#include <algorithm>

#include "kd/divergences.h"
#include "kd/logit_cache.h"
#include "kd/losses.h"
#include "kd/teacher_ensemble.h"

namespace distill {

namespace {

int64_t memberIndex(const std::vector<std::string>& names, const std::string& wanted) {
  const auto at = std::find(names.begin(), names.end(), wanted);
  TORCH_CHECK(at != names.end(), "distill.teacher '", wanted, "' is no member of the ensemble");
  return at - names.begin();
}

}  // namespace

StudentLoss studentLoss(LanguageModelImpl& student, const Batch& batch, const SoftTargets& targets,
                        const DistillConfig& distill, FeatureSetup* features) {
  StudentLoss out;
  ForwardTrace trace;
  const bool traced = features && targets.teacherTrace;
  const auto logits =
      traced ? student.forwardWithTrace(batch.x, trace) : student.forward(batch.x);  // (B, T, V)
  const auto V = logits.size(-1);
  // Where the soft term counts: the targets' positions (on-policy: the generated part) and the
  // batch's response tokens (prompt/response data), both when both are given.
  auto mask = targets.positionMask;
  if (batch.mask.defined()) mask = mask.defined() ? mask.logical_and(batch.mask) : batch.mask;
  if (mask.defined()) mask = mask.reshape({-1});

  if (targets.cachedIds.defined()) {
    out.terms.soft =
        sparseForwardKl(logits, targets.cachedIds, targets.cachedLogProbs, distill.temperature, mask);
  } else if (targets.teacherLogits.defined()) {
    DivergenceOptions divergence;
    divergence.kind = distill.loss;
    divergence.temperature = distill.temperature;
    divergence.beta = distill.beta;
    divergence.skew = distill.skew;
    auto teacher = targets.teacherLogits;
    const bool oneMember = !targets.memberWeights.empty() && !distill.teacher.empty();
    if (oneMember) teacher = teacher[memberIndex(targets.memberNames, distill.teacher)];
    const auto perToken =
        targets.memberWeights.empty() || oneMember
            ? perTokenDivergence(logits.reshape({-1, V}), teacher.reshape({-1, teacher.size(-1)}), divergence)
            : ensembleDivergence(logits.reshape({-1, V}),
                                 teacher.reshape({teacher.size(0), -1, teacher.size(-1)}),
                                 targets.memberWeights, distill.ensemble, divergence);
    out.terms.soft = maskedMean(perToken, mask);
  }
  if (targets.hardLabels) out.terms.hard = crossEntropy(logits, batch.y, batch.mask);

  if (out.terms.soft.defined() && out.terms.hard.defined()) {
    out.total = distill.alpha * out.terms.soft + (1.0 - distill.alpha) * out.terms.hard;
  } else {
    TORCH_CHECK(out.terms.soft.defined() || out.terms.hard.defined(),
                "a student step needs teacher targets or labels");
    out.total = out.terms.soft.defined() ? out.terms.soft : out.terms.hard;
  }

  if (traced) {
    const auto feature = featureLosses(trace, *targets.teacherTrace, *features->projector, features->layerMap,
                                       distill.hidden_loss, distill.attention_weight > 0.0, batch.mask);
    out.terms.hidden = feature.hidden;
    out.terms.attention = feature.attention;
    if (out.terms.hidden.defined()) out.total = out.total + distill.hidden_weight * out.terms.hidden;
    if (out.terms.attention.defined()) out.total = out.total + distill.attention_weight * out.terms.attention;
  }
  return out;
}

}  // namespace distill
