#include "models/kv_cached_lm.h"

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
