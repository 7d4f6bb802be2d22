#include "kd/losses.h"

namespace distill {

torch::Tensor crossEntropy(const torch::Tensor& logits, const torch::Tensor& targets) {
  return torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}));
}

torch::Tensor forwardKl(const torch::Tensor& studentLogits, const torch::Tensor& teacherLogits,
                        double temperature) {
  DivergenceOptions options;
  options.temperature = temperature;
  const auto V = studentLogits.size(-1);
  return perTokenDivergence(studentLogits.reshape({-1, V}), teacherLogits.reshape({-1, V}), options).mean();
}

}  // namespace distill
