#include "tokenizers/tokenizer_training.h"

#include <algorithm>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "distill/errors.h"
#include "util/utf8.h"

namespace distill {

namespace {

namespace fs = std::filesystem;

uint64_t pairKey(int32_t a, int32_t b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b); }

}  // namespace

ByteLevelBpe trainByteLevelBpe(const std::string& text, int vocabSize,
                               const std::function<bool(double)>& progress) {
  if (vocabSize < 257)
    throw EngineError("a byte-level BPE vocabulary needs at least 257 tokens (256 bytes and <|endoftext|>)");
  // Tokens: <|endoftext|>, the byte stand-ins in code point order (as Hugging Face's trainer lists them).
  std::vector<char32_t> standIns;
  for (int b = 0; b < 256; ++b) standIns.push_back(byteStandIn(static_cast<unsigned char>(b)));
  std::sort(standIns.begin(), standIns.end());
  std::vector<std::string> tokens = {"<|endoftext|>"};
  std::unordered_map<char32_t, int32_t> idOfStandIn;
  for (const char32_t c : standIns) {
    idOfStandIn[c] = static_cast<int32_t>(tokens.size());
    tokens.emplace_back();
    appendUtf8(tokens.back(), c);
  }

  std::unordered_map<std::string, int64_t> pieceCounts;
  for (auto& piece : splitGpt2Pieces(decodeUtf8OrThrow(text, "corpus"))) ++pieceCounts[piece];
  std::vector<std::vector<int32_t>> words;
  std::vector<int64_t> counts;
  for (const auto& [piece, count] : pieceCounts) {
    std::vector<int32_t> symbols;
    for (const unsigned char b : piece) symbols.push_back(idOfStandIn[byteStandIn(b)]);
    words.push_back(std::move(symbols));
    counts.push_back(count);
  }

  std::unordered_map<uint64_t, int64_t> pairCounts;
  std::unordered_map<uint64_t, std::unordered_set<size_t>> wordsWith;
  auto addPairs = [&](size_t w, int64_t sign) {
    const auto& s = words[w];
    for (size_t k = 0; k + 1 < s.size(); ++k) {
      const uint64_t key = pairKey(s[k], s[k + 1]);
      if ((pairCounts[key] += sign * counts[w]) == 0) pairCounts.erase(key);
      if (sign > 0) wordsWith[key].insert(w);
    }
  };
  for (size_t w = 0; w < words.size(); ++w) addPairs(w, +1);

  std::vector<std::string> merges;
  const int target = vocabSize - static_cast<int>(tokens.size());
  while (static_cast<int>(tokens.size()) < vocabSize) {
    uint64_t best = 0;
    int64_t bestCount = 0;
    for (const auto& [key, count] : pairCounts)
      if (count > bestCount || (count == bestCount && key < best)) {
        best = key;
        bestCount = count;
      }
    if (bestCount < 2) break;  // a pair seen once teaches nothing
    const auto left = static_cast<int32_t>(best >> 32), right = static_cast<int32_t>(best & 0xFFFFFFFFu);
    const auto merged = static_cast<int32_t>(tokens.size());
    merges.push_back(tokens[left] + " " + tokens[right]);
    tokens.push_back(tokens[left] + tokens[right]);
    const auto affected = wordsWith[best];  // a copy: addPairs edits the index
    for (const size_t w : affected) {
      addPairs(w, -1);
      mergeAdjacentPair(words[w], left, right, merged);
      addPairs(w, +1);
    }
    wordsWith.erase(best);
    pairCounts.erase(best);
    if (progress && merges.size() % 16 == 0 && !progress(static_cast<double>(merges.size()) / target))
      throw EngineError("tokenizer training cancelled");
  }
  return ByteLevelBpe(std::move(tokens), merges, {{0, "<|endoftext|>"}}, "trained tokenizer");
}

}  // namespace distill
