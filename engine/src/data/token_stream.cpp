#include "data/token_stream.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "distill/errors.h"

namespace distill {

std::shared_ptr<const TokenIds> TokenIds::map(const std::string& path, int64_t offset, int64_t count,
                                              int width) {
  std::shared_ptr<TokenIds> ids(new TokenIds());
  ids->m_count = count;
  ids->m_width = width;
  if (count == 0) return ids;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw EngineError("cannot open the token cache " + path + ": " + std::strerror(errno));
  const auto page = static_cast<int64_t>(::sysconf(_SC_PAGESIZE));
  const int64_t aligned = offset / page * page;
  ids->m_mappingDelta = offset - aligned;
  ids->m_mappingBytes = static_cast<size_t>(ids->m_mappingDelta + count * width);
  void* mapping = ::mmap(nullptr, ids->m_mappingBytes, PROT_READ, MAP_SHARED, fd, aligned);
  const int mapError = errno;
  ::close(fd);  // the mapping keeps the file
  if (mapping == MAP_FAILED)
    throw EngineError("cannot memory-map the token cache " + path + ": " + std::strerror(mapError));
  // Batches read scattered windows: read-ahead around each would only fill memory.
  ::madvise(mapping, ids->m_mappingBytes, MADV_RANDOM);
  ids->m_mapping = mapping;
  ids->m_data = static_cast<const unsigned char*>(mapping) + ids->m_mappingDelta;
  return ids;
}

std::shared_ptr<const TokenIds> TokenIds::hold(const std::vector<int64_t>& values) {
  std::shared_ptr<TokenIds> ids(new TokenIds());
  ids->m_held.assign(values.begin(), values.end());
  ids->m_count = static_cast<int64_t>(values.size());
  ids->m_width = 4;
  ids->m_data = reinterpret_cast<const unsigned char*>(ids->m_held.data());
  return ids;
}

TokenIds::~TokenIds() {
  if (m_mapping) ::munmap(m_mapping, m_mappingBytes);
}

void TokenIds::copy(int64_t start, int64_t n, int64_t* out) const {
  if (start < 0 || n < 0 || start + n > m_count) throw EngineError("token window outside the token ids");
  if (m_width == 2) {
    for (int64_t i = 0; i < n; ++i) {
      uint16_t v;
      std::memcpy(&v, m_data + (start + i) * 2, 2);
      out[i] = v;
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      uint32_t v;
      std::memcpy(&v, m_data + (start + i) * 4, 4);
      out[i] = v;
    }
  }
}

void TokenIds::releaseAll() const {
  // Not just the windows read: a fault maps the neighbouring pages of the page cache too (fault-
  // around, and whole large folios on recent kernels), so only the whole range keeps the resident
  // set flat. Page tables of a mostly unmapped range are cheap to walk.
  if (m_mapping) ::madvise(m_mapping, m_mappingBytes, MADV_DONTNEED);
}

TokenStream::TokenStream(const torch::Tensor& ids) {
  const auto flat = ids.to(torch::kInt64).contiguous();
  const int64_t* data = flat.data_ptr<int64_t>();
  *this = TokenStream(TokenIds::hold(std::vector<int64_t>(data, data + flat.numel())), {{0, flat.numel()}});
}

TokenStream::TokenStream(std::shared_ptr<const TokenIds> ids, const std::vector<Range>& ranges)
    : m_ids(std::move(ids)) {
  for (const auto& r : ranges) {
    if (r.end <= r.begin) continue;
    m_ranges.push_back(r);
    m_firsts.push_back(m_size);
    m_size += r.end - r.begin;
  }
}

void TokenStream::copyOut(int64_t start, int64_t length, int64_t* out) const {
  // The range holding `start`, then on through the following ranges until `length` ids are out.
  size_t r =
      static_cast<size_t>(std::upper_bound(m_firsts.begin(), m_firsts.end(), start) - m_firsts.begin()) - 1;
  int64_t offset = start - m_firsts[r];
  while (length > 0) {
    const Range& range = m_ranges.at(r);
    const int64_t n = std::min(length, range.end - range.begin - offset);
    m_ids->copy(range.begin + offset, n, out);
    out += n;
    length -= n;
    offset = 0;
    ++r;
  }
}

torch::Tensor TokenStream::windows(const std::vector<int64_t>& starts, int64_t length) const {
  auto out = torch::empty({static_cast<int64_t>(starts.size()), length}, torch::kInt64);
  int64_t* data = out.data_ptr<int64_t>();
  for (size_t i = 0; i < starts.size(); ++i) {
    if (starts[i] < 0 || starts[i] + length > m_size)
      throw EngineError("token window [" + std::to_string(starts[i]) + ", " +
                        std::to_string(starts[i] + length) + ") outside a stream of " +
                        std::to_string(m_size) + " tokens");
    copyOut(starts[i], length, data + static_cast<int64_t>(i) * length);
  }
  m_ids->releaseAll();
  return out;
}

}  // namespace distill
