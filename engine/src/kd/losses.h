#pragma once

#include <torch/torch.h>

#include "kd/divergences.h"

namespace distill {

/// Mean next-token cross-entropy. logits (B, T, V), targets (B, T); with `mask` (B, T) bool, the
/// mean over the targets it marks (response tokens) and 0 when it marks none.
torch::Tensor crossEntropy(const torch::Tensor& logits, const torch::Tensor& targets,
                           const torch::Tensor& mask = {});

/// Hinton's soft-target loss: KL(p_teacher^T || p_student^T) per token, averaged over tokens (those
/// `mask` marks, when given) and scaled by T² so its gradient magnitude does not shrink as T grows.
/// logits (B, T, V).
torch::Tensor forwardKl(const torch::Tensor& studentLogits, const torch::Tensor& teacherLogits,
                        double temperature, const torch::Tensor& mask = {});

}  // namespace distill
