#pragma once

#include "models/kv_cached_lm.h"

namespace distill {

/// One Llama decoder block: RMSNorm, causal attention with rotary positions and grouped-query
/// key/value heads, RMSNorm, SiLU-gated MLP; residual around both.
class LlamaBlockImpl : public torch::nn::Module {
public:
  LlamaBlockImpl(const ModelSpec& spec, int64_t blockSize);

  /// x: (B, T, C); cos/sin: (T, head size) for the positions of x. The cache holds rotated keys
  /// and values per key/value head, (B, H_kv, T_past, hs). `attention` receives (B, H, T, T_total).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        torch::Tensor* cacheK = nullptr, torch::Tensor* cacheV = nullptr,
                        torch::Tensor* attention = nullptr);

private:
  int64_t m_heads, m_kvHeads;
  double m_eps;
  bool m_fusedAttention;  ///< see fusedAttentionAvailable()
  torch::Tensor m_attentionNorm, m_mlpNorm;
  torch::nn::Linear m_q{nullptr}, m_k{nullptr}, m_v{nullptr}, m_o{nullptr};
  torch::nn::Linear m_gate{nullptr}, m_up{nullptr}, m_down{nullptr};
  torch::Tensor m_causalMask;
};
TORCH_MODULE(LlamaBlock);

/// Llama-family decoder (Llama 2/3, TinyLlama, SmolLM2): no position embeddings, final RMSNorm,
/// linear head (tied to the embeddings or not).
class LlamaLMImpl : public KvCachedLMImpl {
public:
  LlamaLMImpl(const ModelSpec& spec, int64_t vocabSize, int64_t blockSize);

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
  torch::nn::Embedding m_tokens{nullptr};
  std::vector<LlamaBlock> m_blocks;
  torch::Tensor m_finalNorm;
  torch::nn::Linear m_head{nullptr};
  torch::Tensor m_inverseFrequencies;  // (hs / 2,)
};

/// x / sqrt(mean(x²) + eps) · weight over the last dimension.
torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

}  // namespace distill
