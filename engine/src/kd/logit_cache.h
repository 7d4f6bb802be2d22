#pragma once

// The teacher's top-k next-token distribution for every training window of the student phase,
// computed once into a memory-mapped file, so several students are distilled without running the
// teacher again. Layout (little-endian), see docs/logit-cache.md:
//   header, 64 bytes: "DLCACHE1", u32 version, u32 vocab, u32 top_k, u32 block, u32 batch,
//                     u32 steps, f32 temperature, u64 sampler seed, zero padding
//   then per step, per (batch row, position): i32 ids[top_k], f32 log_probs[top_k]
//   (teacher log-probabilities at `temperature`, highest first).

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace distill {

struct LogitCacheHeader {
  uint32_t vocabSize = 0;
  uint32_t topK = 0;
  uint32_t blockSize = 0;
  uint32_t batchSize = 0;
  uint32_t steps = 0;
  float temperature = 1.0f;
  uint64_t seed = 0;

  bool operator==(const LogitCacheHeader& o) const {
    return vocabSize == o.vocabSize && topK == o.topK && blockSize == o.blockSize &&
           batchSize == o.batchSize && steps == o.steps && temperature == o.temperature && seed == o.seed;
  }
};

/// Writes a cache step by step (in order).
class LogitCacheWriter {
public:
  LogitCacheWriter(const std::string& path, const LogitCacheHeader& header);
  ~LogitCacheWriter();
  /// teacherLogits (B, T, V) of the next step.
  void append(const torch::Tensor& teacherLogits);
  /// Flushes and renames the finished file into place.
  void finish();

private:
  std::string m_path;
  std::string m_tmpPath;
  LogitCacheHeader m_header;
  std::FILE* m_file = nullptr;
  uint32_t m_written = 0;
};

/// A finished cache, memory-mapped read-only.
class LogitCache {
public:
  /// Throws EngineError for a missing, truncated or foreign file.
  explicit LogitCache(const std::string& path);
  ~LogitCache();
  LogitCache(const LogitCache&) = delete;
  LogitCache& operator=(const LogitCache&) = delete;

  const LogitCacheHeader& header() const { return m_header; }
  /// Step `step` (0-based): ids (B, T, k) int64 and log-probs (B, T, k) float32, copied out.
  void read(uint32_t step, torch::Tensor* ids, torch::Tensor* logProbs) const;

private:
  LogitCacheHeader m_header;
  const uint8_t* m_data = nullptr;
  size_t m_size = 0;
};

/// KL(p_t || p_s) × T² on the k+1 buckets the cache keeps: the teacher's top-k tokens and the
/// rest as one tail bucket (mass 1 − Σ top-k on both sides). A lower bound of the full KL that
/// becomes exact as k grows. studentLogits (B, T, V); ids, teacherLogProbs (B, T, k).
/// With `mask` (B, T) bool: the mean over the positions it marks.
torch::Tensor sparseForwardKl(const torch::Tensor& studentLogits, const torch::Tensor& ids,
                              const torch::Tensor& teacherLogProbs, double temperature,
                              const torch::Tensor& mask = {});

}  // namespace distill
