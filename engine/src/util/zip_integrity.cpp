#include "util/zip_integrity.h"

#include <array>
#include <cstdint>
#include <cstring>

#include "distill/errors.h"

namespace distill {

namespace {

constexpr uint32_t kEndOfDirectory = 0x06054b50, kZip64End = 0x06064b50, kZip64Locator = 0x07064b50;
constexpr uint32_t kDirectoryEntry = 0x02014b50, kLocalHeader = 0x04034b50;

uint32_t crc32(const unsigned char* data, size_t size) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) c = table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

/// Little-endian reads that fail (instead of reading past the end) on a short archive.
class Reader {
public:
  Reader(const std::string& bytes, const std::string& what) : m_bytes(bytes), m_what(what) {}
  template <class T>
  T at(uint64_t offset) const {
    if (offset > m_bytes.size() || m_bytes.size() - offset < sizeof(T))
      fail("a record points past the end of the file");
    T value;
    std::memcpy(&value, m_bytes.data() + offset, sizeof(T));
    return value;
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw EngineError(m_what + " is not a readable LibTorch archive: " + why);
  }
  uint64_t size() const { return m_bytes.size(); }
  const unsigned char* data(uint64_t offset) const {
    return reinterpret_cast<const unsigned char*>(m_bytes.data()) + offset;
  }

private:
  const std::string& m_bytes;
  const std::string& m_what;
};

}  // namespace

void verifyZipIntegrity(const std::string& bytes, const std::string& what) {
  const Reader r(bytes, what);
  if (r.size() < 22) r.fail("too short to be an archive");
  // The end-of-directory record sits in the last 22 + 65535 bytes (after an optional comment).
  uint64_t end = r.size() - 22;
  const uint64_t lowest = r.size() > 22 + 65535 ? r.size() - 22 - 65535 : 0;
  while (r.at<uint32_t>(end) != kEndOfDirectory) {
    if (end == lowest) r.fail("no end-of-directory record (truncated?)");
    --end;
  }
  uint64_t entries = r.at<uint16_t>(end + 10);
  uint64_t directorySize = r.at<uint32_t>(end + 12);
  uint64_t directory = r.at<uint32_t>(end + 16);
  if (end >= 20 && r.at<uint32_t>(end - 20) == kZip64Locator) {
    const uint64_t zip64End = r.at<uint64_t>(end - 20 + 8);
    if (r.at<uint32_t>(zip64End) != kZip64End) r.fail("zip64 locator points nowhere");
    entries = r.at<uint64_t>(zip64End + 32);
    directorySize = r.at<uint64_t>(zip64End + 40);
    directory = r.at<uint64_t>(zip64End + 48);
  }
  if (directory > r.size() || directorySize > r.size() - directory) r.fail("central directory out of range");
  uint64_t at = directory;
  for (uint64_t i = 0; i < entries; ++i) {
    if (r.at<uint32_t>(at) != kDirectoryEntry)
      r.fail("central directory entry " + std::to_string(i) + " is garbled");
    const uint16_t method = r.at<uint16_t>(at + 10);
    const uint32_t crc = r.at<uint32_t>(at + 16);
    uint64_t compressed = r.at<uint32_t>(at + 20), uncompressed = r.at<uint32_t>(at + 24);
    const uint16_t nameLength = r.at<uint16_t>(at + 28), extraLength = r.at<uint16_t>(at + 30),
                   commentLength = r.at<uint16_t>(at + 32);
    uint64_t local = r.at<uint32_t>(at + 42);
    // zip64: the 32-bit fields that overflowed are in the 0x0001 extra field, in this order.
    for (uint64_t x = at + 46 + nameLength; x + 4 <= at + 46 + nameLength + extraLength;) {
      const uint16_t id = r.at<uint16_t>(x), length = r.at<uint16_t>(x + 2);
      if (id == 0x0001) {
        uint64_t field = x + 4;
        if (uncompressed == 0xFFFFFFFFu) uncompressed = r.at<uint64_t>(field), field += 8;
        if (compressed == 0xFFFFFFFFu) compressed = r.at<uint64_t>(field), field += 8;
        if (local == 0xFFFFFFFFu) local = r.at<uint64_t>(field);
      }
      x += 4 + length;
    }
    if (r.at<uint32_t>(local) != kLocalHeader) r.fail("entry " + std::to_string(i) + " has no local header");
    const uint64_t data = local + 30 + r.at<uint16_t>(local + 26) + r.at<uint16_t>(local + 28);
    if (data > r.size() || compressed > r.size() - data)
      r.fail("entry " + std::to_string(i) + " runs past the end of the file");
    if (method == 0 && (compressed != uncompressed || crc32(r.data(data), compressed) != crc))
      r.fail("entry " + std::to_string(i) + " does not match its checksum");
    at += 46 + nameLength + extraLength + commentLength;
  }
}

}  // namespace distill
