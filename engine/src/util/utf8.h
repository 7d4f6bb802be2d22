#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace distill {

/// Splits UTF-8 text into code points. Returns false and sets `badOffset` to the first byte that
/// is not valid UTF-8 (overlong forms, surrogates and values past U+10FFFF are invalid).
bool decodeUtf8(const std::string& text, std::vector<char32_t>& out, size_t& badOffset);

/// The offset of the first byte of `text` that does not start a valid UTF-8 sequence, or `size`
/// when all of it is valid (decodeUtf8's rules, without keeping the code points).
size_t firstInvalidUtf8(const char* text, size_t size);

/// decodeUtf8 that throws EngineError "<what> is not valid UTF-8 (first bad byte at offset N)".
std::vector<char32_t> decodeUtf8OrThrow(const std::string& text, const std::string& what);

/// The text with every byte that does not start a valid UTF-8 sequence replaced by U+FFFD (what
/// decoding tokens that split a character gives back).
std::string replaceInvalidUtf8(const std::string& bytes);

/// Appends the UTF-8 encoding of one code point.
void appendUtf8(std::string& out, char32_t codePoint);

}  // namespace distill
