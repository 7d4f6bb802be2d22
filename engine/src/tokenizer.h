#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace distill {

/// Character-level tokenizer: one id per Unicode code point seen in the corpus, ids in code
/// point order (for ASCII text this matches nanoGPT's shakespeare_char vocabulary).
class CharTokenizer {
public:
  CharTokenizer() = default;

  /// Builds the vocabulary from UTF-8 text; throws EngineError on invalid UTF-8.
  static CharTokenizer fromText(const std::string& text);
  /// Restores a vocabulary saved with vocabularyText().
  static CharTokenizer fromVocabulary(const std::string& vocabularyText);

  /// Throws EngineError naming the first character that is not in the vocabulary.
  std::vector<int64_t> encode(const std::string& text) const;
  /// Encodes code points already decoded (the corpus path, which has validated its text).
  std::vector<int64_t> encode(const std::vector<char32_t>& codePoints) const;
  std::string decode(const std::vector<int64_t>& ids) const;
  std::string decodeOne(int64_t id) const;

  int64_t vocabSize() const { return static_cast<int64_t>(m_chars.size()); }
  /// The vocabulary as UTF-8 text, one code point per id, in id order.
  std::string vocabularyText() const;
  bool operator==(const CharTokenizer& other) const { return m_chars == other.m_chars; }

private:
  explicit CharTokenizer(std::vector<char32_t> chars);

  std::vector<char32_t> m_chars;
  std::unordered_map<char32_t, int64_t> m_ids;
};

}  // namespace distill
