#include "kd/teacher_ensemble.h"

#include <numeric>

namespace distill {

namespace {

/// (M,) weights shaped to broadcast over (M, ..., V).
torch::Tensor weightsLike(const torch::Tensor& members, const std::vector<double>& weights) {
  TORCH_CHECK(members.size(0) == static_cast<int64_t>(weights.size()), "an ensemble of ", members.size(0),
              " teachers' logits with ", weights.size(), " weights");
  std::vector<int64_t> shape(static_cast<size_t>(members.dim()), 1);
  shape[0] = members.size(0);
  return torch::tensor(weights, torch::TensorOptions().dtype(torch::kFloat64))
      .to(members.device(), members.scalar_type())
      .reshape(shape);
}

}  // namespace

std::vector<double> normalizedWeights(const std::vector<double>& weights) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<double> out;
  for (double w : weights) out.push_back(w / sum);
  return out;
}

torch::Tensor combinedTeacherLogits(const torch::Tensor& members, const std::vector<double>& weights,
                                    Ensemble mode, double temperature) {
  const auto w = weightsLike(members, weights);
  if (mode == Ensemble::MeanLogit) return (w * members).sum(0);
  // log Σ wᵢ softmax(zᵢ/T) in log space (no underflow for confident teachers), times T.
  // Half-precision logits (autocast) are combined in float32; float32 and float64 as they come.
  const auto z = members.element_size() < 4 ? members.to(torch::kFloat32) : members;
  const auto logProbs = torch::log_softmax(z / temperature, -1);
  return temperature * torch::logsumexp(logProbs + w.to(z.scalar_type()).log(), 0);
}

torch::Tensor ensembleDivergence(const torch::Tensor& studentLogits, const torch::Tensor& members,
                                 const std::vector<double>& weights, Ensemble mode,
                                 const DivergenceOptions& options) {
  if (mode != Ensemble::PerTeacher) {
    // Mse compares raw logits: its target is the ensemble at T = 1.
    const double t = options.kind == DistillLoss::Mse ? 1.0 : options.temperature;
    return perTokenDivergence(studentLogits, combinedTeacherLogits(members, weights, mode, t), options);
  }
  torch::Tensor sum;
  for (int64_t i = 0; i < members.size(0); ++i) {
    const auto term =
        weights[static_cast<size_t>(i)] * perTokenDivergence(studentLogits, members[i], options);
    sum = sum.defined() ? sum + term : term;
  }
  return sum;
}

}  // namespace distill
