#pragma once

// Token ids as training reads them: a read-only array of 16- or 32-bit ids (a memory-mapped token
// cache, or memory of its own) and a stream over ranges of it (a split), from which batches copy
// their windows. Training memory does not grow with the corpus: only the windows a batch reads
// are touched, and the mapped pages are handed back after each batch.

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace distill {

/// A read-only array of token ids, 2 or 4 bytes each (little-endian, as this machine stores them).
class TokenIds {
public:
  /// Maps `count` ids of `width` bytes found at byte `offset` of `path`; throws EngineError naming
  /// the file when it cannot.
  static std::shared_ptr<const TokenIds> map(const std::string& path, int64_t offset, int64_t count,
                                             int width);
  /// Ids held in memory (tests, small streams); 4 bytes each.
  static std::shared_ptr<const TokenIds> hold(const std::vector<int64_t>& ids);
  ~TokenIds();
  TokenIds(const TokenIds&) = delete;
  TokenIds& operator=(const TokenIds&) = delete;

  int64_t size() const { return m_count; }
  int width() const { return m_width; }
  /// Copies ids [start, start + n) into `out` as int64.
  void copy(int64_t start, int64_t n, int64_t* out) const;
  /// Tells the kernel this process needs none of the mapped pages now: they leave the resident set
  /// (and stay in the page cache, so the next read is a minor fault). No effect on held memory.
  void releaseAll() const;

private:
  TokenIds() = default;
  const unsigned char* m_data = nullptr;
  int64_t m_count = 0;
  int m_width = 4;
  void* m_mapping = nullptr;  ///< munmap'ed on destruction; null for held ids
  size_t m_mappingBytes = 0;
  int64_t m_mappingDelta = 0;  ///< bytes between the page-aligned mapping and m_data
  std::vector<uint32_t> m_held;
};

/// Ranges of a TokenIds read as one stream: a split of the corpus (the tail, or whole documents).
class TokenStream {
public:
  struct Range {
    int64_t begin = 0, end = 0;
  };
  TokenStream() = default;
  /// A stream over ids held in memory (int64 tensor). NOLINT: tests and small streams pass tensors.
  TokenStream(const torch::Tensor& ids);  // NOLINT(google-explicit-constructor)
  TokenStream(std::shared_ptr<const TokenIds> ids, const std::vector<Range>& ranges);

  int64_t size() const { return m_size; }
  /// (starts.size(), length) int64 tensor: row i holds the stream's tokens [starts[i], starts[i] + length).
  torch::Tensor windows(const std::vector<int64_t>& starts, int64_t length) const;
  /// The whole stream as one int64 tensor (tests; small corpora).
  torch::Tensor all() const { return windows({0}, m_size).squeeze(0); }

private:
  void copyOut(int64_t start, int64_t length, int64_t* out) const;

  std::shared_ptr<const TokenIds> m_ids;
  std::vector<Range> m_ranges;
  std::vector<int64_t> m_firsts;  ///< stream position of each range's first token
  int64_t m_size = 0;
};

}  // namespace distill
