#pragma once

// Distances between the teacher's and the student's next-token distributions, per token.
// Every function takes logits (N, V) and returns (N,) values; masking and averaging are separate.

#include <torch/torch.h>

#include <string>

#include "distill/config.h"

namespace distill {

/// The soft term's kind is the experiment's `distill.loss` (distill/config.h):
///   Kl             KL(p_t || p_s) × T²  (Hinton)
///   ReverseKl      KL(p_s || p_t) × T²
///   Jsd            generalised JSD(β) × T², as GKD: β=0 forward KL, β=1 reverse KL
///   SkewKl         KL(p_t || α p_t + (1-α) p_s) × T²  (DistiLLM)
///   SkewReverseKl  KL(p_s || α p_s + (1-α) p_t) × T²  (DistiLLM)
///   Tvd            ½ Σ |p_t − p_s| on the softened distributions (no T² factor)
///   Mse            mean over the vocabulary of (z_s − z_t)² on raw logits (no temperature)
///   Uld            Σ_i |sort(p_s)_i − sort(p_t)_i| on the softened distributions, each sorted in
///                  decreasing order and the shorter padded with zeros (Boizard et al., 2024; no
///                  T²): the one kind whose student and teacher vocabularies may differ
using Divergence = DistillLoss;

struct DivergenceOptions {
  Divergence kind = Divergence::Kl;
  double temperature = 1.0;
  double beta = 0.5;  ///< JSD mixture weight of the teacher
  double skew = 0.1;  ///< α of the skew KLs
};

/// (N, V) student and teacher logits → (N,) per-token divergence (Uld: (N, Vs) and (N, Vt)).
torch::Tensor perTokenDivergence(const torch::Tensor& studentLogits, const torch::Tensor& teacherLogits,
                                 const DivergenceOptions& options);

/// Mean of (N,) values over the positions where `mask` (N,) is true; 0 when none is (no NaN).
/// An undefined mask means every position counts.
torch::Tensor maskedMean(const torch::Tensor& values, const torch::Tensor& mask);

}  // namespace distill
