#pragma once

#include <torch/torch.h>

#include <memory>

#include "distill/config.h"

namespace distill {

/// What a model carries between incremental decoding steps (KV cache, recurrent state).
struct DecodeState {
  virtual ~DecodeState() = default;
  int64_t position = 0;  ///< tokens consumed so far
};

/// A next-token model: teacher or student, transformer or recurrent.
class LanguageModelImpl : public torch::nn::Module {
public:
  /// (B, T) int64 ids → (B, T, V) logits.
  virtual torch::Tensor forward(const torch::Tensor& ids) = 0;

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

using LanguageModel = std::shared_ptr<LanguageModelImpl>;

}  // namespace distill
