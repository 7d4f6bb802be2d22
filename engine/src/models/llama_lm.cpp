#include "models/llama_lm.h"

#include <cmath>
#include <limits>

namespace distill {

namespace {

int64_t kvHeadsOf(const ModelSpec& spec) { return spec.kv_heads > 0 ? spec.kv_heads : spec.heads; }

/// Rotary embedding in Hugging Face's layout: the head's first and second halves form the pairs.
torch::Tensor rotate(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  auto rotatedHalf = torch::cat({-x.slice(-1, half), x.slice(-1, 0, half)}, -1);
  return x * cos + rotatedHalf * sin;
}

torch::nn::Linear linear(int64_t in, int64_t out, bool bias) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

}  // namespace

torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

LlamaBlockImpl::LlamaBlockImpl(const ModelSpec& spec, int64_t blockSize)
    : m_heads(spec.heads),
      m_kvHeads(kvHeadsOf(spec)),
      m_eps(spec.norm_eps),
      m_fusedAttention(fusedAttentionAvailable()) {
  const int64_t c = spec.embd, hs = c / spec.heads, mlp = spec.hidden > 0 ? spec.hidden : 4 * c;
  m_attentionNorm = register_parameter("attn_norm", torch::ones({c}));
  m_q = register_module("q", linear(c, m_heads * hs, spec.bias));
  m_k = register_module("k", linear(c, m_kvHeads * hs, spec.bias));
  m_v = register_module("v", linear(c, m_kvHeads * hs, spec.bias));
  m_o = register_module("o", linear(m_heads * hs, c, spec.bias));
  m_mlpNorm = register_parameter("mlp_norm", torch::ones({c}));
  m_gate = register_module("gate", linear(c, mlp, false));
  m_up = register_module("up", linear(c, mlp, false));
  m_down = register_module("down", linear(mlp, c, false));
  m_causalMask = register_buffer(
      "causal_mask", torch::full({blockSize, blockSize}, -std::numeric_limits<float>::infinity()).triu(1));
}

torch::Tensor LlamaBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                      const torch::Tensor& sin, torch::Tensor* cacheK, torch::Tensor* cacheV,
                                      torch::Tensor* attention) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), hs = C / m_heads;
  const auto h = rmsNorm(x, m_attentionNorm, m_eps);
  auto q = rotate(m_q(h).view({B, T, m_heads, hs}).transpose(1, 2), cos, sin);    // (B, H, T, hs)
  auto k = rotate(m_k(h).view({B, T, m_kvHeads, hs}).transpose(1, 2), cos, sin);  // (B, H_kv, T, hs)
  auto v = m_v(h).view({B, T, m_kvHeads, hs}).transpose(1, 2);
  const int64_t past = appendToKvCache(k, v, cacheK, cacheV);
  if (m_kvHeads != m_heads) {
    // Each key/value head serves a group of consecutive query heads.
    k = k.repeat_interleave(m_heads / m_kvHeads, 1);
    v = v.repeat_interleave(m_heads / m_kvHeads, 1);
  }
  const auto att =
      causalAttention(q, k, v, m_causalMask, past, 0.0, is_training(), m_fusedAttention, attention);
  const auto y = m_o(att.transpose(1, 2).reshape({B, T, C}));
  const auto r = x + y;
  const auto m = rmsNorm(r, m_mlpNorm, m_eps);
  return r + m_down(torch::silu(m_gate(m)) * m_up(m));
}

LlamaLMImpl::LlamaLMImpl(const ModelSpec& spec, int64_t vocabSize, int64_t blockSize)
    : m_spec(spec), m_vocabSize(vocabSize), m_blockSize(blockSize) {
  TORCH_CHECK(spec.embd % spec.heads == 0 && (spec.embd / spec.heads) % 2 == 0,
              "llama needs embd divisible by heads and an even head size");
  TORCH_CHECK(spec.heads % kvHeadsOf(spec) == 0, "llama: kv_heads must divide heads");
  m_tokens = register_module("tokens", torch::nn::Embedding(vocabSize, spec.embd));
  for (int i = 0; i < spec.layers; ++i)
    m_blocks.push_back(register_module("block" + std::to_string(i), LlamaBlock(spec, blockSize)));
  m_finalNorm = register_parameter("norm", torch::ones({spec.embd}));
  if (!spec.tie_weights) m_head = register_module("head", linear(spec.embd, vocabSize, false));
  const int64_t hs = spec.embd / spec.heads;
  m_inverseFrequencies = register_buffer(
      "rope_inverse_frequencies",
      1.0 / torch::pow(spec.rope_theta, torch::arange(0, hs, 2, torch::kFloat64) / static_cast<double>(hs))
                .to(torch::kFloat32));

  torch::NoGradGuard noGrad;
  for (auto& item : named_parameters()) {
    if (item.key().find("norm") != std::string::npos) continue;
    auto& p = item.value();
    if (item.key().size() >= 4 && item.key().compare(item.key().size() - 4, 4, "bias") == 0) {
      p.zero_();
    } else {
      p.normal_(0.0, 0.02);
    }
  }
}

torch::Tensor LlamaLMImpl::run(const torch::Tensor& ids, int64_t position, std::vector<torch::Tensor>* k,
                               std::vector<torch::Tensor>* v, ForwardTrace* trace) {
  const int64_t T = ids.size(1);
  TORCH_CHECK(position + T <= m_blockSize, "sequence of ", position + T,
              " tokens exceeds the model's context of ", m_blockSize);
  const auto positions = torch::arange(position, position + T, m_inverseFrequencies.options());
  const auto angles = torch::outer(positions, m_inverseFrequencies);  // (T, hs / 2)
  const auto both = torch::cat({angles, angles}, -1);                 // (T, hs)
  const auto cos = both.cos(), sin = both.sin();
  auto x = m_tokens(ids);
  if (trace) {
    trace->hidden.assign(1, x);
    trace->attention.assign(m_blocks.size(), torch::Tensor());
  }
  for (size_t i = 0; i < m_blocks.size(); ++i) {
    x = m_blocks[i](x, cos, sin, k ? &(*k)[i] : nullptr, k ? &(*v)[i] : nullptr,
                    trace ? &trace->attention[i] : nullptr);
    if (trace) trace->hidden.push_back(x);
  }
  x = rmsNorm(x, m_finalNorm, m_spec.norm_eps);
  return floatLogits(m_head ? m_head(x) : torch::nn::functional::linear(x, m_tokens->weight));
}

}  // namespace distill
