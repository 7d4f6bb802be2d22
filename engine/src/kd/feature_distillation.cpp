#include "kd/feature_distillation.h"

#include <cmath>

#include "kd/divergences.h"

namespace distill {

std::vector<int> resolveLayerMap(const std::vector<int>& configured, int studentLayers, int teacherLayers) {
  if (!configured.empty()) return configured;
  std::vector<int> map;
  for (int i = 1; i <= studentLayers; ++i) {
    const int layer = static_cast<int>(std::lround(static_cast<double>(i) * teacherLayers / studentLayers));
    map.push_back(std::max(1, std::min(teacherLayers, layer)));
  }
  return map;
}

torch::Tensor hiddenStateLoss(const torch::Tensor& student, const torch::Tensor& teacher, HiddenLoss kind,
                              const torch::Tensor& mask) {
  torch::Tensor perPosition;  // (B, T)
  if (kind == HiddenLoss::Cosine) {
    const auto options = torch::nn::functional::CosineSimilarityFuncOptions().dim(-1).eps(1e-8);
    perPosition = 1.0 - torch::nn::functional::cosine_similarity(student, teacher, options);
  } else {
    if (!mask.defined()) return (student - teacher).pow(2).mean();  // the same mean, one reduction
    perPosition = (student - teacher).pow(2).mean(-1);
  }
  return maskedMean(perPosition, mask);
}

torch::Tensor attentionMapKl(const torch::Tensor& studentAttention, const torch::Tensor& teacherAttention,
                             const torch::Tensor& mask) {
  const auto student = studentAttention.mean(1);  // (B, T, T): rows still sum to 1
  const auto teacher = teacherAttention.mean(1);
  // Σ p (log p − log q) with 0·log 0 = 0; q is clamped where p > 0 could meet a q that underflowed.
  const auto perRow =
      (torch::xlogy(teacher, teacher) - teacher * torch::log(student.clamp_min(1e-30))).sum(-1);
  return maskedMean(perRow, mask);
}

FeatureProjectorImpl::FeatureProjectorImpl(int studentLayers, int64_t studentWidth, int64_t teacherWidth) {
  for (int i = 1; i <= studentLayers; ++i) {
    m_maps.push_back(
        register_module("map" + std::to_string(i),
                        torch::nn::Linear(torch::nn::LinearOptions(studentWidth, teacherWidth).bias(false))));
  }
}

torch::Tensor FeatureProjectorImpl::forward(int layer, const torch::Tensor& hidden) {
  return m_maps.at(static_cast<size_t>(layer - 1))(hidden);
}

LossTerms<torch::Tensor> featureLosses(const ForwardTrace& student, const ForwardTrace& teacher,
                                       FeatureProjectorImpl& projector, const std::vector<int>& layerMap,
                                       HiddenLoss hiddenKind, bool withAttention, const torch::Tensor& mask) {
  LossTerms<torch::Tensor> out;
  const double layers = static_cast<double>(layerMap.size());
  for (size_t i = 0; i < layerMap.size(); ++i) {
    const int studentLayer = static_cast<int>(i) + 1;
    const int teacherLayer = layerMap[i];
    if (hiddenKind != HiddenLoss::None) {
      auto term = hiddenStateLoss(projector.forward(studentLayer, student.hidden.at(studentLayer)),
                                  teacher.hidden.at(static_cast<size_t>(teacherLayer)), hiddenKind, mask) /
                  layers;
      out.hidden = out.hidden.defined() ? out.hidden + term : term;
    }
    if (withAttention) {
      auto term = attentionMapKl(student.attention.at(i),
                                 teacher.attention.at(static_cast<size_t>(teacherLayer - 1)), mask) /
                  layers;
      out.attention = out.attention.defined() ? out.attention + term : term;
    }
  }
  return out;
}

}  // namespace distill
