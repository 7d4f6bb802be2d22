#include "models/transformer_lm.h"

#include <cmath>
#include <limits>

namespace distill {

namespace {

torch::nn::LayerNormOptions layerNorm(const ModelSpec& spec) {
  return torch::nn::LayerNormOptions({spec.embd}).elementwise_affine(true);
}

}  // namespace

TransformerBlockImpl::TransformerBlockImpl(const ModelSpec& spec, int64_t blockSize)
    : m_heads(spec.heads),
      m_dropout(spec.dropout),
      m_tanhGelu(spec.activation == Activation::GeluTanh),
      m_fusedAttention(fusedAttentionAvailable()) {
  const int64_t c = spec.embd;
  m_ln1 = register_module("ln1", torch::nn::LayerNorm(layerNorm(spec)));
  m_qkv = register_module("qkv", torch::nn::Linear(torch::nn::LinearOptions(c, 3 * c).bias(spec.bias)));
  m_proj = register_module("proj", torch::nn::Linear(torch::nn::LinearOptions(c, c).bias(spec.bias)));
  m_ln2 = register_module("ln2", torch::nn::LayerNorm(layerNorm(spec)));
  m_fc = register_module("fc", torch::nn::Linear(torch::nn::LinearOptions(c, 4 * c).bias(spec.bias)));
  m_fc2 = register_module("fc2", torch::nn::Linear(torch::nn::LinearOptions(4 * c, c).bias(spec.bias)));
  if (!spec.bias) {
    // LayerNorm without bias is not an option in LibTorch 1.13: freeze the bias at zero.
    for (auto* ln : {&m_ln1, &m_ln2}) (*ln)->bias.set_requires_grad(false);
  }
  m_causalMask = register_buffer(
      "causal_mask", torch::full({blockSize, blockSize}, -std::numeric_limits<float>::infinity()).triu(1));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x, torch::Tensor* cacheK,
                                            torch::Tensor* cacheV, torch::Tensor* attention) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2);
  const int64_t hs = C / m_heads;
  auto qkv = m_qkv(m_ln1(x)).view({B, T, 3, m_heads, hs}).permute({2, 0, 3, 1, 4});  // (3,B,H,T,hs)
  auto q = qkv[0], k = qkv[1], v = qkv[2];
  const int64_t past = appendToKvCache(k, v, cacheK, cacheV);
  auto y = causalAttention(q, k, v, m_causalMask, past, m_dropout, is_training(), m_fusedAttention, attention)
               .transpose(1, 2)
               .reshape({B, T, C});  // (B, T, C)
  y = m_proj(y);
  if (m_dropout > 0.0) y = torch::dropout(y, m_dropout, is_training());
  auto h = x + y;
  auto m = m_fc2(m_tanhGelu ? torch::gelu(m_fc(m_ln2(h)), "tanh") : torch::gelu(m_fc(m_ln2(h))));
  if (m_dropout > 0.0) m = torch::dropout(m, m_dropout, is_training());
  return h + m;
}

TransformerLMImpl::TransformerLMImpl(const ModelSpec& spec, int64_t vocabSize, int64_t blockSize)
    : m_spec(spec), m_vocabSize(vocabSize), m_blockSize(blockSize) {
  m_tokens = register_module("tokens", torch::nn::Embedding(vocabSize, spec.embd));
  m_positions = register_module("positions", torch::nn::Embedding(blockSize, spec.embd));
  m_dropout = register_module("dropout", torch::nn::Dropout(spec.dropout));
  for (int i = 0; i < spec.layers; ++i)
    m_blocks.push_back(register_module("block" + std::to_string(i), TransformerBlock(spec, blockSize)));
  m_lnFinal = register_module("ln_f", torch::nn::LayerNorm(layerNorm(spec)));
  if (!spec.tie_weights) {
    m_head = register_module("head",
                             torch::nn::Linear(torch::nn::LinearOptions(spec.embd, vocabSize).bias(false)));
  }
  if (!spec.bias) m_lnFinal->bias.set_requires_grad(false);

  // GPT-2 initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2 * layers).
  torch::NoGradGuard noGrad;
  for (auto& item : named_parameters()) {
    const std::string& name = item.key();
    auto& p = item.value();
    if (name.find("ln") != std::string::npos) continue;
    if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0) {
      p.zero_();
    } else if (name.find("proj.weight") != std::string::npos ||
               name.find("fc2.weight") != std::string::npos) {
      p.normal_(0.0, 0.02 / std::sqrt(2.0 * spec.layers));
    } else {
      p.normal_(0.0, 0.02);
    }
  }
}

torch::Tensor TransformerLMImpl::run(const torch::Tensor& ids, int64_t position,
                                     std::vector<torch::Tensor>* k, std::vector<torch::Tensor>* v,
                                     ForwardTrace* trace) {
  const int64_t T = ids.size(1);
  TORCH_CHECK(position + T <= m_blockSize, "sequence of ", position + T,
              " tokens exceeds the model's block size ", m_blockSize);
  auto pos =
      torch::arange(position, position + T, torch::TensorOptions().dtype(torch::kInt64).device(ids.device()));
  auto x = m_dropout(m_tokens(ids) + m_positions(pos));  // (B, T, C)
  if (trace) {
    trace->hidden.assign(1, x);
    trace->attention.assign(m_blocks.size(), torch::Tensor());
  }
  for (size_t i = 0; i < m_blocks.size(); ++i) {
    x = m_blocks[i](x, k ? &(*k)[i] : nullptr, k ? &(*v)[i] : nullptr,
                    trace ? &trace->attention[i] : nullptr);
    if (trace) trace->hidden.push_back(x);
  }
  x = m_lnFinal(x);
  // A tied head reuses the token embedding matrix (V, C) as the output projection.
  return floatLogits(m_head ? m_head(x) : torch::nn::functional::linear(x, m_tokens->weight));  // (B, T, V)
}

}  // namespace distill
