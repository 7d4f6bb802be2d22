#include "util/utf8.h"

#include "distill/errors.h"

namespace distill {

namespace {

/// Length of the valid UTF-8 sequence at `i` (setting `cp`), or 0 when the bytes there are not one
/// (overlong forms, surrogates and values past U+10FFFF are invalid).
int decodeAt(const unsigned char* s, size_t n, size_t i, char32_t& cp) {
  const unsigned char b = s[i];
  int length = 0;
  if (b < 0x80) {
    cp = b;
    return 1;
  } else if ((b & 0xE0) == 0xC0) {
    length = 2;
    cp = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    length = 3;
    cp = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    length = 4;
    cp = b & 0x07;
  } else {
    return 0;
  }
  if (i + length > n) return 0;
  for (int k = 1; k < length; ++k) {
    if ((s[i + k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i + k] & 0x3F);
  }
  static constexpr char32_t kMinForLength[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return length;
}

}  // namespace

bool decodeUtf8(const std::string& text, std::vector<char32_t>& out, size_t& badOffset) {
  out.clear();
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    char32_t cp = 0;
    const int length = decodeAt(s, n, i, cp);
    if (length == 0) {
      badOffset = i;
      return false;
    }
    out.push_back(cp);
    i += static_cast<size_t>(length);
  }
  return true;
}

size_t firstInvalidUtf8(const char* text, size_t size) {
  const auto* s = reinterpret_cast<const unsigned char*>(text);
  size_t i = 0;
  char32_t cp = 0;
  while (i < size) {
    const int length = decodeAt(s, size, i, cp);
    if (length == 0) return i;
    i += static_cast<size_t>(length);
  }
  return size;
}

std::vector<char32_t> decodeUtf8OrThrow(const std::string& text, const std::string& what) {
  std::vector<char32_t> cps;
  size_t bad = 0;
  if (!decodeUtf8(text, cps, bad))
    throw EngineError(what + " is not valid UTF-8 (first bad byte at offset " + std::to_string(bad) + ")");
  return cps;
}

std::string replaceInvalidUtf8(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size());
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    char32_t cp = 0;
    const int length = decodeAt(s, n, i, cp);
    if (length == 0) {
      appendUtf8(out, 0xFFFD);
      ++i;
    } else {
      out.append(bytes, i, static_cast<size_t>(length));
      i += static_cast<size_t>(length);
    }
  }
  return out;
}

void appendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace distill
