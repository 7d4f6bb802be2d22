#include "distill/model_info.h"

#include <cmath>

#include "data/corpus.h"

namespace distill {

long long parameterCount(const ModelSpec& s, long long vocab, int blockSize) {
  const long long c = s.embd;
  if (s.arch == Arch::Transformer) {
    const long long b = s.bias ? 1 : 0;
    // Per block: 2 LayerNorms (weight + bias; the bias stays even when frozen), qkv, proj, fc, fc2.
    const long long block =
        2 * 2 * c + (3 * c * c + b * 3 * c) + (c * c + b * c) + (4 * c * c + b * 4 * c) + (4 * c * c + b * c);
    const long long head = s.tie_weights ? 0 : vocab * c;
    return vocab * c + static_cast<long long>(blockSize) * c + s.layers * block + 2 * c + head;
  }
  if (s.arch == Arch::Llama) {
    const long long kv = (s.kv_heads > 0 ? s.kv_heads : s.heads) * (c / s.heads);
    const long long mlp = s.hidden > 0 ? s.hidden : 4 * c;
    const long long attention = 2 * c * c + 2 * c * kv + (s.bias ? 2 * c + 2 * kv : 0);
    const long long block = 2 * c + attention + 3 * c * mlp;
    return vocab * c + s.layers * block + c + (s.tie_weights ? 0 : vocab * c);
  }
  const long long h = s.hidden > 0 ? s.hidden : c;
  const long long gates = s.arch == Arch::Lstm ? 4 : 3;
  long long recurrent = 0;
  for (int layer = 0; layer < s.layers; ++layer) {
    const long long in = layer == 0 ? c : h;
    recurrent += gates * h * (in + h) + 2 * gates * h;  // input and hidden weights, two bias vectors
  }
  return vocab * c + recurrent + h * vocab + vocab;
}

CorpusInfo inspectCorpus(const DataConfig& data, const TeacherConfig& teacher, const CorpusOptions& options) {
  return loadCorpus(withTokenizerResolved(data, teacher), nullptr, options).facts;
}

std::string tokenCacheFolder(const std::string& runsRoot) {
  return (std::filesystem::path(runsRoot) / "token-cache").string();
}

}  // namespace distill
