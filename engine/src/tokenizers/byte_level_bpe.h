#pragma once

// Byte-level BPE as GPT-2 and most Hugging Face models ship it: text is split by GPT-2's
// pre-tokenizer pattern, each piece's UTF-8 bytes become printable stand-in characters (the
// bytes_to_unicode table), and ranked merges join them into vocabulary tokens.

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace distill {

/// GPT-2's pre-tokenizer ('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)
/// over code points: returns the pieces as UTF-8 strings, in order; their concatenation is the input.
std::vector<std::string> splitGpt2Pieces(const std::vector<char32_t>& codePoints);

/// Replaces every (left, right) neighbour pair in `symbols` by `merged`, left to right without
/// overlaps, as GPT-2's reference code applies one merge (encoding and training both).
template <class Id>
void mergeAdjacentPair(std::vector<Id>& symbols, Id left, Id right, Id merged) {
  std::vector<Id> next;
  next.reserve(symbols.size());
  for (size_t k = 0; k < symbols.size(); ++k) {
    if (k + 1 < symbols.size() && symbols[k] == left && symbols[k + 1] == right) {
      next.push_back(merged);
      ++k;
    } else {
      next.push_back(symbols[k]);
    }
  }
  symbols.swap(next);
}

/// The printable character GPT-2 stands in for byte `b` (so every token is valid UTF-8 text).
char32_t byteStandIn(unsigned char b);

/// A `tokenizers`-library tokenizer.json around a BPE model (no normalizer, no post-processor):
/// what ByteLevelBpe and the char tokenizer (a BPE without merges) save. Arguments are JSON values.
std::string bpeTokenizerJson(const nlohmann::ordered_json& vocab, const nlohmann::ordered_json& merges,
                             const nlohmann::ordered_json& preTokenizer,
                             const nlohmann::ordered_json& decoder,
                             const nlohmann::ordered_json& addedTokens);

class ByteLevelBpe {
public:
  struct AddedToken {
    int64_t id;
    std::string content;
  };

  /// GPT-2 style files. Throws EngineError naming the file and line for anything malformed.
  /// Tokenizer::load prefers tokenizer.json when a folder has both (it holds the whole pipeline).
  static ByteLevelBpe fromVocabAndMerges(const std::string& vocabJsonPath, const std::string& mergesPath);
  /// tokenizers' tokenizer.json with a BPE model and a ByteLevel pre-tokenizer, alone or after
  /// Digits(individual_digits) as StarCoder and SmolLM2 ship it.
  static ByteLevelBpe fromTokenizerJson(const std::string& path);
  /// What toJson() wrote (checkpoints embed their tokenizer).
  static ByteLevelBpe fromJson(const nlohmann::json& j);
  /// From tokens in id order (stand-in characters), merges ("a b") in rank order and added tokens.
  ByteLevelBpe(std::vector<std::string> tokens, const std::vector<std::string>& merges,
               std::vector<AddedToken> added, const std::string& source, bool splitDigits = false);

  nlohmann::json toJson() const;
  /// Writes tokenizer.json, and GPT-2 style vocab.json and merges.txt, into `dir` (atomically, each).
  void saveFiles(const std::string& dir) const;

  /// Throws EngineError for text that is not valid UTF-8 (naming the byte offset).
  std::vector<int64_t> encode(const std::string& text) const;
  /// Invalid UTF-8 in the decoded bytes (a sequence cut inside a character) becomes U+FFFD.
  std::string decode(const std::vector<int64_t>& ids) const;
  /// The raw bytes one token stands for (may be part of a character); empty for ids outside the
  /// vocabulary (models often pad theirs beyond the tokenizer's).
  std::string tokenBytes(int64_t id) const;
  int64_t vocabSize() const { return static_cast<int64_t>(m_tokens.size()); }

  const std::vector<std::string>& tokens() const { return m_tokens; }
  const std::vector<std::string>& merges() const { return m_merges; }
  const std::vector<AddedToken>& addedTokens() const { return m_added; }

private:
  void encodePiece(const std::string& piece, std::vector<int64_t>& out) const;

  std::vector<std::string> m_tokens;  // id → token text (stand-in characters); "" for unused ids
  std::vector<std::string> m_merges;  // rank → "a b"
  std::vector<AddedToken> m_added;
  bool m_splitDigits = false;  // every digit its own piece before GPT-2's pattern
  std::unordered_map<std::string, int64_t> m_ids;
  int64_t m_byteIds[256];
  // (left id, right id) → (rank, merged id)
  std::unordered_map<uint64_t, std::pair<int32_t, int64_t>> m_ranks;
};

}  // namespace distill
