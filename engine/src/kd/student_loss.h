#pragma once

// The objective of one distilled student step: soft term (divergence or sparse cached KL), hard
// term (cross-entropy with the batch's next tokens) and feature terms, weighted by the settings.

#include <torch/torch.h>

#include <string>
#include <vector>

#include "data/corpus.h"
#include "distill/config.h"
#include "kd/feature_distillation.h"
#include "kd/loss_terms.h"
#include "models/language_model.h"

namespace distill {

/// What a distilled student learns from on one batch.
struct SoftTargets {
  /// (B, T, V), or undefined (no soft term, e.g. sequence-level with alpha 0). An ensemble's
  /// members stacked, (M, B, T, V), with `memberWeights` (M, summing to 1): teacher_ensemble.h.
  torch::Tensor teacherLogits;
  std::vector<double> memberWeights;           ///< empty: one teacher
  std::vector<std::string> memberNames;        ///< the members' `name`s (distill.teacher picks one)
  torch::Tensor cachedIds;                     ///< (B, T, k) int64 from the logit cache, or undefined
  torch::Tensor cachedLogProbs;                ///< (B, T, k)
  const ForwardTrace* teacherTrace = nullptr;  ///< feature losses: the teacher's trace on the same batch
  torch::Tensor positionMask;  ///< (B, T) bool: where the soft term counts; undefined: everywhere
  bool hardLabels = true;      ///< false for on-policy batches: their tokens are the student's own samples
};

/// The learned projections and layer pairs of a student with feature losses.
struct FeatureSetup {
  FeatureProjector projector{nullptr};
  std::vector<int> layerMap;
};

/// The weighted objective and its terms (undefined tensors: absent terms).
struct StudentLoss {
  torch::Tensor total;
  LossTerms<torch::Tensor> terms;
};

/// total = alpha·soft + (1 − alpha)·hard + hidden_weight·hidden + attention_weight·attention, where
/// a missing soft or hard term gives its share to the other (on-policy: soft only).
StudentLoss studentLoss(LanguageModelImpl& student, const Batch& batch, const SoftTargets& targets,
                        const DistillConfig& distill, FeatureSetup* features);

}  // namespace distill
