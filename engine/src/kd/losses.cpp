#include "kd/losses.h"

namespace distill {

torch::Tensor crossEntropy(const torch::Tensor& logits, const torch::Tensor& targets,
                           const torch::Tensor& mask) {
  namespace F = torch::nn::functional;
  const auto flat = logits.reshape({-1, logits.size(-1)});
  if (!mask.defined()) return F::cross_entropy(flat, targets.reshape({-1}));
  const auto perToken =
      F::cross_entropy(flat, targets.reshape({-1}), F::CrossEntropyFuncOptions().reduction(torch::kNone));
  return maskedMean(perToken, mask.reshape({-1}));
}

torch::Tensor forwardKl(const torch::Tensor& studentLogits, const torch::Tensor& teacherLogits,
                        double temperature, const torch::Tensor& mask) {
  DivergenceOptions options;
  options.temperature = temperature;
  const auto V = studentLogits.size(-1);
  const auto perToken =
      perTokenDivergence(studentLogits.reshape({-1, V}), teacherLogits.reshape({-1, V}), options);
  return mask.defined() ? maskedMean(perToken, mask.reshape({-1})) : perToken.mean();
}

}  // namespace distill
