#include "losses.h"

namespace distill {

torch::Tensor crossEntropy(const torch::Tensor& logits, const torch::Tensor& targets) {
  return torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}),
                                              targets.reshape({-1}));
}

torch::Tensor forwardKl(const torch::Tensor& studentLogits, const torch::Tensor& teacherLogits,
                        double temperature) {
  const auto V = studentLogits.size(-1);
  auto logPs = torch::log_softmax(studentLogits.reshape({-1, V}) / temperature, -1);  // (N, V)
  auto logPt = torch::log_softmax(teacherLogits.reshape({-1, V}) / temperature, -1);  // (N, V)
  // sum_v p_t (log p_t - log p_s); xlogy keeps p_t = 0 entries at 0 instead of 0 * -inf = NaN.
  auto pt = logPt.exp();
  auto perToken = (torch::xlogy(pt, pt) - pt * logPs).sum(-1);  // (N,)
  return perToken.mean() * (temperature * temperature);
}

DistillationLoss distillationLoss(const torch::Tensor& studentLogits,
                                  const torch::Tensor& teacherLogits, const torch::Tensor& targets,
                                  double temperature, double alpha) {
  DistillationLoss loss;
  loss.soft = forwardKl(studentLogits, teacherLogits, temperature);
  loss.hard = crossEntropy(studentLogits, targets);
  loss.total = alpha * loss.soft + (1.0 - alpha) * loss.hard;
  return loss;
}

}  // namespace distill
