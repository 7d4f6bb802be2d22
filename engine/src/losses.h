#pragma once

#include <torch/torch.h>

#include "divergences.h"

namespace distill {

/// Mean next-token cross-entropy. logits (B, T, V), targets (B, T).
torch::Tensor crossEntropy(const torch::Tensor& logits, const torch::Tensor& targets);

/// Hinton's soft-target loss: KL(p_teacher^T || p_student^T) per token, averaged over tokens and
/// scaled by T² so its gradient magnitude does not shrink as T grows. logits (B, T, V).
torch::Tensor forwardKl(const torch::Tensor& studentLogits, const torch::Tensor& teacherLogits,
                        double temperature);

struct DistillationLoss {
  torch::Tensor total;  ///< alpha * soft + (1 - alpha) * hard
  torch::Tensor soft;   ///< the divergence, averaged over tokens
  torch::Tensor hard;   ///< cross-entropy with the true next tokens
};

/// The soft term is `divergence` between the (B, T, V) logits, the hard term cross-entropy with
/// the (B, T) targets.
DistillationLoss distillationLoss(const torch::Tensor& studentLogits,
                                  const torch::Tensor& teacherLogits, const torch::Tensor& targets,
                                  const DivergenceOptions& divergence, double alpha);

}  // namespace distill
