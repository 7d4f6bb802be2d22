#pragma once

#include "models/language_model.h"

namespace distill {

/// With a cache (`cacheK` non-null): puts the cached keys/values before the new `k`/`v`
/// (B, H, T, hs), stores the result back in the cache and returns how many positions were cached
/// before. Without one: leaves `k`/`v` alone and returns 0.
int64_t appendToKvCache(torch::Tensor& k, torch::Tensor& v, torch::Tensor* cacheK, torch::Tensor* cacheV);

/// Whether attention may use LibTorch's fused scaled_dot_product_attention: LibTorch >= 2.0, unless
/// the environment says DISTILL_ATTENTION=math (the explicit product, for comparing the two).
/// Read when a model is built.
bool fusedAttentionAvailable();

/// softmax(q kᵀ / √hs + causal mask) v for T new positions after `past` cached ones: q (B, H, T, hs),
/// k and v (B, H, past + T, hs) → (B, H, T, hs). `causalMask` is the additive (block, block) mask;
/// dropout applies to the attention weights while training. `fused` (and no cache, no map asked
/// for) computes it in one scaled_dot_product_attention call; otherwise explicitly, storing the
/// weights in *attention when given (feature distillation reads them).
torch::Tensor causalAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& causalMask, int64_t past, double dropout, bool training,
                              bool fused, torch::Tensor* attention);

/// An attention decoder with one key/value cache per layer (GPT-style transformer, Llama): the
/// full forward, the traced forward and incremental decoding all go through run().
class KvCachedLMImpl : public LanguageModelImpl {
public:
  torch::Tensor forward(const torch::Tensor& ids) override { return run(ids, 0, nullptr, nullptr); }
  torch::Tensor forwardWithTrace(const torch::Tensor& ids, ForwardTrace& trace) override {
    return run(ids, 0, nullptr, nullptr, &trace);
  }
  std::unique_ptr<DecodeState> startDecoding() const override;
  torch::Tensor decode(const torch::Tensor& ids, DecodeState& state) override;

protected:
  /// (B, T) ids that follow `position` cached tokens → (B, T, V) logits. `keys`/`values` hold one
  /// cache per layer (appended to) or are null; `trace`, when given, records hidden states and
  /// attention maps.
  virtual torch::Tensor run(const torch::Tensor& ids, int64_t position, std::vector<torch::Tensor>* keys,
                            std::vector<torch::Tensor>* values, ForwardTrace* trace = nullptr) = 0;
  virtual size_t layerCount() const = 0;
};

}  // namespace distill
