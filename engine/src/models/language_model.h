#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "distill/config.h"

namespace distill {

/// What a model carries between incremental decoding steps (KV cache, recurrent state).
struct DecodeState {
  virtual ~DecodeState() = default;
  int64_t position = 0;  ///< tokens consumed so far
};

/// What feature distillation reads from inside a forward pass.
struct ForwardTrace {
  std::vector<torch::Tensor>
      hidden;  ///< residual stream: [0] after the embeddings, [i] after layer i; (B, T, C)
  std::vector<torch::Tensor> attention;  ///< [i - 1]: layer i's attention probabilities (B, H, T, T)
};

/// A next-token model: teacher or student, transformer or recurrent.
class LanguageModelImpl : public torch::nn::Module {
public:
  /// (B, T) int64 ids → (B, T, V) logits.
  virtual torch::Tensor forward(const torch::Tensor& ids) = 0;

  /// forward() that also records hidden states and attention maps. Models without them (recurrent
  /// nets) throw: configuration validation keeps feature losses to transformers.
  virtual torch::Tensor forwardWithTrace(const torch::Tensor& ids, ForwardTrace& trace);

  /// Fresh decoding state for a batch of sequences.
  virtual std::unique_ptr<DecodeState> startDecoding() const = 0;
  /// Feeds (B, T_new) ids after what `state` has seen; returns their (B, T_new, V) logits and
  /// advances the state. Must match forward() on the concatenated sequence.
  virtual torch::Tensor decode(const torch::Tensor& ids, DecodeState& state) = 0;
  /// Longest sequence decode() can hold (0: unbounded).
  virtual int64_t contextLimit() const = 0;

  virtual const ModelSpec& spec() const = 0;
  virtual int64_t vocabSize() const = 0;

  int64_t parameterCount() const {
    int64_t n = 0;
    for (const auto& p : parameters()) n += p.numel();
    return n;
  }
};

inline torch::Tensor LanguageModelImpl::forwardWithTrace(const torch::Tensor&, ForwardTrace&) {
  TORCH_CHECK(false, nameOf(spec().arch), " models record no hidden states or attention maps");
  return {};
}

using LanguageModel = std::shared_ptr<LanguageModelImpl>;

/// Where `model`'s weights live (the CPU for a model without parameters).
inline torch::Device deviceOf(const torch::nn::Module& model) {
  for (const auto& p : model.parameters()) return p.device();
  return torch::Device(torch::kCPU);
}

/// A model's output logits in float32 whatever precision autocast computed the head in: the
/// losses, softmaxes and sampling downstream stay in full precision.
inline torch::Tensor floatLogits(const torch::Tensor& logits) {
  return logits.scalar_type() == torch::kFloat32 ? logits : logits.to(torch::kFloat32);
}

}  // namespace distill
