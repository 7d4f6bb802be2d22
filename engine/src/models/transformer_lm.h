#pragma once

#include "models/kv_cached_lm.h"

namespace distill {

/// One pre-LayerNorm GPT block: causal self-attention and a GELU 4x MLP.
class TransformerBlockImpl : public torch::nn::Module {
public:
  TransformerBlockImpl(const ModelSpec& spec, int64_t blockSize);

  /// x: (B, T, C). `past` holds the cached (B, H, T_past, hs) keys and values, or is empty;
  /// when `cache` is set the new keys/values are appended to it.
  /// `attention`, when given, receives the (B, H, T, T_total) attention probabilities.
  torch::Tensor forward(const torch::Tensor& x, torch::Tensor* cacheK = nullptr,
                        torch::Tensor* cacheV = nullptr, torch::Tensor* attention = nullptr);

private:
  int64_t m_heads;
  double m_dropout;
  bool m_tanhGelu;
  bool m_fusedAttention;  ///< see fusedAttentionAvailable()
  torch::nn::LayerNorm m_ln1{nullptr}, m_ln2{nullptr};
  torch::nn::Linear m_qkv{nullptr}, m_proj{nullptr}, m_fc{nullptr}, m_fc2{nullptr};
  torch::Tensor m_causalMask;  // (blockSize, blockSize) additive: 0 on/below diagonal, -inf above
};
TORCH_MODULE(TransformerBlock);

/// GPT-style decoder (nanoGPT layout): learned positions, pre-LN blocks, final LN, linear head.
class TransformerLMImpl : public KvCachedLMImpl {
public:
  TransformerLMImpl(const ModelSpec& spec, int64_t vocabSize, int64_t blockSize);

  int64_t contextLimit() const override { return m_blockSize; }
  const ModelSpec& spec() const override { return m_spec; }
  int64_t vocabSize() const override { return m_vocabSize; }

private:
  torch::Tensor run(const torch::Tensor& ids, int64_t position, std::vector<torch::Tensor>* k,
                    std::vector<torch::Tensor>* v, ForwardTrace* trace = nullptr) override;
  size_t layerCount() const override { return m_blocks.size(); }

  ModelSpec m_spec;
  int64_t m_vocabSize;
  int64_t m_blockSize;
  torch::nn::Embedding m_tokens{nullptr}, m_positions{nullptr};
  torch::nn::Dropout m_dropout{nullptr};
  std::vector<TransformerBlock> m_blocks;
  torch::nn::LayerNorm m_lnFinal{nullptr};
  torch::nn::Linear m_head{nullptr};
};

}  // namespace distill
