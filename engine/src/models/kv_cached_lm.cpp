#include "models/kv_cached_lm.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace distill {

namespace {

struct KvCache : DecodeState {
  std::vector<torch::Tensor> keys;    // per layer (B, H_kv, T, hs)
  std::vector<torch::Tensor> values;  // per layer (B, H_kv, T, hs)
};

}  // namespace

int64_t appendToKvCache(torch::Tensor& k, torch::Tensor& v, torch::Tensor* cacheK, torch::Tensor* cacheV) {
  if (!cacheK) return 0;
  int64_t past = 0;
  if (cacheK->defined()) {
    past = cacheK->size(2);
    k = torch::cat({*cacheK, k}, 2);
    v = torch::cat({*cacheV, v}, 2);
  }
  *cacheK = k;
  *cacheV = v;
  return past;
}

bool fusedAttentionAvailable() {
#if TORCH_VERSION_MAJOR >= 2
  const char* choice = std::getenv("DISTILL_ATTENTION");
  return !(choice && std::string(choice) == "math");
#else
  return false;  // scaled_dot_product_attention came with LibTorch 2.0
#endif
}

torch::Tensor causalAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& causalMask, int64_t past, double dropout, bool training,
                              bool fused, torch::Tensor* attention) {
  const double p = training ? dropout : 0.0;
#if TORCH_VERSION_MAJOR >= 2
  // is_causal is the square lower triangle: right only without cached positions before.
  if (fused && past == 0 && !attention) return at::scaled_dot_product_attention(q, k, v, {}, p, true);
#else
  (void)fused;
#endif
  const int64_t T = q.size(2), hs = q.size(3);
  // (B, H, T, T_total): new positions attend to every cached one and causally among themselves.
  auto att = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(hs)));
  att = torch::softmax(att + causalMask.slice(0, past, past + T).slice(1, 0, past + T), -1);
  if (attention) *attention = att;
  if (p > 0.0) att = torch::dropout(att, p, true);
  return torch::matmul(att, v);
}

std::unique_ptr<DecodeState> KvCachedLMImpl::startDecoding() const {
  auto cache = std::make_unique<KvCache>();
  cache->keys.resize(layerCount());
  cache->values.resize(layerCount());
  return cache;
}

torch::Tensor KvCachedLMImpl::decode(const torch::Tensor& ids, DecodeState& state) {
  auto& cache = dynamic_cast<KvCache&>(state);
  auto logits = run(ids, cache.position, &cache.keys, &cache.values);
  cache.position += ids.size(1);
  return logits;
}

}  // namespace distill
