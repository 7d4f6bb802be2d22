#pragma once

// An ensemble of teachers as soft targets (`teachers:` with `distill.ensemble`). The members'
// logits come stacked, (M, N, V), with weights that sum to 1:
//   mean_prob    p = Σ wᵢ softmax(zᵢ/T), returned as the logits T·log p, so that every divergence
//                softens them back to exactly p at the same temperature (Baby Llama averages the
//                teachers' distributions);
//   mean_logit   z = Σ wᵢ zᵢ, softened as one teacher's logits;
//   per_teacher  no single target: the soft term is Σ wᵢ D(student, teacher i).

#include <torch/torch.h>

#include <vector>

#include "kd/divergences.h"

namespace distill {

/// The ensemble's logits at temperature `temperature` (mean_prob and per_teacher: the mean of the
/// distributions, as above). `members` (M, ..., V); weights M values summing to 1.
torch::Tensor combinedTeacherLogits(const torch::Tensor& members, const std::vector<double>& weights,
                                    Ensemble mode, double temperature);

/// (N,) soft term per position of a student against the ensemble: the divergence from the combined
/// logits, or (per_teacher) the weighted sum of the divergences from each member.
torch::Tensor ensembleDivergence(const torch::Tensor& studentLogits, const torch::Tensor& members,
                                 const std::vector<double>& weights, Ensemble mode,
                                 const DivergenceOptions& options);

/// Weights divided by their sum (each > 0: validation checked).
std::vector<double> normalizedWeights(const std::vector<double>& weights);

}  // namespace distill
