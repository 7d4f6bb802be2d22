#include "tokenizer.h"

#include <algorithm>
#include <set>

#include "distill/errors.h"
#include "utf8.h"

namespace distill {

namespace {

std::vector<char32_t> decodeOrThrow(const std::string& text, const std::string& what) {
  std::vector<char32_t> cps;
  size_t bad = 0;
  if (!decodeUtf8(text, cps, bad))
    throw EngineError(what + " is not valid UTF-8 (first bad byte at offset " +
                      std::to_string(bad) + ")");
  return cps;
}

std::string describe(char32_t cp) {
  if (cp == '\n') return "'\\n'";
  if (cp == '\t') return "'\\t'";
  std::string s = "'";
  appendUtf8(s, cp);
  return s + "' (U+" + std::to_string(static_cast<uint32_t>(cp)) + ")";
}

}  // namespace

CharTokenizer::CharTokenizer(std::vector<char32_t> chars) : m_chars(std::move(chars)) {
  for (size_t i = 0; i < m_chars.size(); ++i) m_ids[m_chars[i]] = static_cast<int64_t>(i);
}

CharTokenizer CharTokenizer::fromText(const std::string& text) {
  const auto cps = decodeOrThrow(text, "text");
  std::set<char32_t> unique(cps.begin(), cps.end());
  return CharTokenizer(std::vector<char32_t>(unique.begin(), unique.end()));
}

CharTokenizer CharTokenizer::fromVocabulary(const std::string& vocabularyText) {
  auto cps = decodeOrThrow(vocabularyText, "tokenizer vocabulary");
  std::vector<char32_t> sorted = cps;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    throw EngineError("tokenizer vocabulary has duplicate characters");
  return CharTokenizer(std::move(cps));
}

std::vector<int64_t> CharTokenizer::encode(const std::vector<char32_t>& cps) const {
  std::vector<int64_t> ids;
  ids.reserve(cps.size());
  for (const char32_t cp : cps) {
    const auto it = m_ids.find(cp);
    if (it == m_ids.end())
      throw EngineError("character " + describe(cp) + " is not in the model's vocabulary");
    ids.push_back(it->second);
  }
  return ids;
}

std::vector<int64_t> CharTokenizer::encode(const std::string& text) const {
  return encode(decodeOrThrow(text, "text"));
}

std::string CharTokenizer::decodeOne(int64_t id) const {
  std::string out;
  if (id >= 0 && id < vocabSize()) appendUtf8(out, m_chars[static_cast<size_t>(id)]);
  return out;
}

std::string CharTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string out;
  for (const auto id : ids) out += decodeOne(id);
  return out;
}

std::string CharTokenizer::vocabularyText() const {
  std::string out;
  for (const char32_t cp : m_chars) appendUtf8(out, cp);
  return out;
}

}  // namespace distill
