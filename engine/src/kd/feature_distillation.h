#pragma once

// Feature distillation between transformer layers: hidden states through a learned projection,
// and attention maps. Pairs come from `distill.layer_map` (see config.h).

#include <torch/torch.h>

#include "distill/config.h"
#include "kd/loss_terms.h"

#include <vector>

#include "models/language_model.h"

namespace distill {

/// Teacher layer (1-based) for each student layer 1..studentLayers: `configured` when given,
/// else uniform, round(i · teacherLayers / studentLayers), so the last layers always pair up.
std::vector<int> resolveLayerMap(const std::vector<int>& configured, int studentLayers, int teacherLayers);

/// Mean squared error (per element), or 1 − cosine similarity, of (B, T, C) hidden states of equal
/// width, averaged over the positions where `mask` (B, T) is set (undefined: over all of them).
torch::Tensor hiddenStateLoss(const torch::Tensor& student, const torch::Tensor& teacher, HiddenLoss kind,
                              const torch::Tensor& mask = {});

/// KL(teacher ‖ student) between head-averaged attention maps (B, H, T, T) — the head counts may
/// differ — averaged over the B·T query rows (those where `mask` (B, T) is set, when it is defined).
/// Positions the teacher gives no weight (the causal future) contribute nothing, so the masked −inf
/// of the student never produces NaN.
torch::Tensor attentionMapKl(const torch::Tensor& studentAttention, const torch::Tensor& teacherAttention,
                             const torch::Tensor& mask = {});

/// The learned linear maps from the student's width to the teacher's, one per student layer.
/// Trained with the student (its optimizer), used only by the loss: checkpoints do not carry it.
class FeatureProjectorImpl : public torch::nn::Module {
public:
  FeatureProjectorImpl(int studentLayers, int64_t studentWidth, int64_t teacherWidth);
  torch::Tensor forward(int layer, const torch::Tensor& hidden);  ///< layer: 1-based student layer

private:
  std::vector<torch::nn::Linear> m_maps;
};
TORCH_MODULE(FeatureProjector);

/// Both feature terms for one step, each averaged over the mapped layers (undefined when off) and
/// over the positions `mask` (B, T) sets (prompt/response data: the response tokens; undefined:
/// every position); the soft and hard terms are left undefined.
LossTerms<torch::Tensor> featureLosses(const ForwardTrace& student, const ForwardTrace& teacher,
                                       FeatureProjectorImpl& projector, const std::vector<int>& layerMap,
                                       HiddenLoss hiddenKind, bool withAttention,
                                       const torch::Tensor& mask = {});

}  // namespace distill
