#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
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

/// What every tokenizer kind does; Tokenizer holds one.
class TokenizerModel {
public:
  virtual ~TokenizerModel() = default;
  virtual std::vector<int64_t> encode(const std::string& text) const = 0;
  virtual std::string decode(const std::vector<int64_t>& ids) const = 0;
  /// One token as display text (a token that is part of a character shows as U+FFFD).
  virtual std::string decodeOne(int64_t id) const = 0;
  virtual int64_t vocabSize() const = 0;
  /// The token that ends a document (GPT-2's <|endoftext|>, SentencePiece's </s>); -1: none (char).
  virtual int64_t endOfText() const { return -1; }
  virtual std::string kind() const = 0;
  /// Everything needed to rebuild it (checkpoints embed their tokenizer).
  virtual nlohmann::json toJson() const = 0;
  /// Writes the files a Hugging Face folder holds for it into `dir`; false when the kind has none (char).
  virtual bool saveFiles(const std::string& dir) const = 0;
};

/// A tokenizer of any kind: char (built from the corpus), byte-level BPE (GPT-2's vocab.json +
/// merges.txt, or tokenizer.json) or SentencePiece (.model). Cheap to copy; immutable.
class Tokenizer {
public:
  Tokenizer();                     ///< an empty char tokenizer
  Tokenizer(CharTokenizer chars);  // NOLINT: a char tokenizer is a tokenizer

  /// Loads a tokenizer file or a folder holding one (tokenizer.json, vocab.json + merges.txt or
  /// tokenizer.model, tried in that order: tokenizer.json holds the whole pipeline). Throws EngineError
  /// naming the path and the problem.
  static Tokenizer load(const std::string& path);
  /// Rebuilds what toJson() wrote.
  static Tokenizer fromJson(const nlohmann::json& j);
  /// Whether `dir` holds tokenizer files load() understands.
  static bool folderHasTokenizer(const std::string& dir);

  /// Throws EngineError for invalid UTF-8 and (char) characters outside the vocabulary.
  std::vector<int64_t> encode(const std::string& text) const { return m_model->encode(text); }
  std::string decode(const std::vector<int64_t>& ids) const { return m_model->decode(ids); }
  std::string decodeOne(int64_t id) const { return m_model->decodeOne(id); }
  int64_t vocabSize() const { return m_model->vocabSize(); }
  int64_t endOfText() const { return m_model->endOfText(); }
  std::string kind() const { return m_model->kind(); }
  nlohmann::json toJson() const;
  bool saveFiles(const std::string& dir) const { return m_model->saveFiles(dir); }

private:
  explicit Tokenizer(std::shared_ptr<const TokenizerModel> model) : m_model(std::move(model)) {}
  std::shared_ptr<const TokenizerModel> m_model;
};

}  // namespace distill
