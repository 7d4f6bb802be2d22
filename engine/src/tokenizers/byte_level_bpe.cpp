#include "tokenizers/byte_level_bpe.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "distill/errors.h"
#include "tokenizers/unicode_classes.h"
#include "util/paths.h"
#include "util/utf8.h"

namespace distill {

namespace {

bool keepsItsOwnCharacter(int b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct ByteTable {
  char32_t standIn[256];
  std::unordered_map<char32_t, unsigned char> byteOf;
  ByteTable() {
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      standIn[b] = keepsItsOwnCharacter(b) ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + next++);
      byteOf[standIn[b]] = static_cast<unsigned char>(b);
    }
  }
};

const ByteTable& byteTable() {
  static const ByteTable table;  // immutable after construction
  return table;
}

uint64_t pairKey(int64_t left, int64_t right) {
  return (static_cast<uint64_t>(left) << 32) | static_cast<uint64_t>(right);
}

nlohmann::json parseJsonFile(const std::string& path, const std::string& what) {
  try {
    return nlohmann::json::parse(readFile(path, what));
  } catch (const nlohmann::json::exception& e) {
    throw EngineError(path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
}

/// vocab: token → id, made dense (ids must be 0..n-1 without gaps being required).
std::vector<std::string> tokensById(const nlohmann::json& vocab, const std::string& source) {
  if (!vocab.is_object() || vocab.empty())
    throw EngineError(source + ": the vocabulary must be a non-empty JSON object");
  int64_t maxId = -1;
  for (const auto& item : vocab.items()) {
    if (!item.value().is_number_integer() || item.value().get<int64_t>() < 0)
      throw EngineError(source + ": vocabulary entry '" + item.key() + "' has no non-negative integer id");
    maxId = std::max(maxId, item.value().get<int64_t>());
  }
  if (maxId > 10 * static_cast<int64_t>(vocab.size()) + 1000)
    throw EngineError(source + ": vocabulary ids are implausibly sparse (largest " + std::to_string(maxId) +
                      ")");
  std::vector<std::string> tokens(static_cast<size_t>(maxId + 1));
  for (const auto& item : vocab.items())
    tokens[static_cast<size_t>(item.value().get<int64_t>())] = item.key();
  return tokens;
}

}  // namespace

char32_t byteStandIn(unsigned char b) { return byteTable().standIn[b]; }

std::vector<std::string> splitGpt2Pieces(const std::vector<char32_t>& cps) {
  std::vector<std::string> pieces;
  const size_t n = cps.size();
  auto letter = [&](size_t i) { return i < n && isUnicodeLetter(cps[i]); };
  auto number = [&](size_t i) { return i < n && isUnicodeNumber(cps[i]); };
  auto space = [&](size_t i) { return i < n && isUnicodeWhitespace(cps[i]); };
  auto other = [&](size_t i) {
    return i < n && !isUnicodeWhitespace(cps[i]) && !isUnicodeLetter(cps[i]) && !isUnicodeNumber(cps[i]);
  };
  auto contraction = [&](size_t i) -> size_t {  // length of 's 't 're 've 'm 'll 'd at i, or 0
    if (cps[i] != '\'' || i + 1 >= n) return 0;
    const char32_t a = cps[i + 1], b = i + 2 < n ? cps[i + 2] : 0;
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
  };
  size_t i = 0;
  while (i < n) {
    size_t end = i;
    if (size_t c = contraction(i)) {
      end = i + c;
    } else {
      const size_t body = cps[i] == ' ' ? i + 1 : i;  // " ?" before a letter, number or other run
      if (letter(body)) {
        end = body;
        while (letter(end)) ++end;
      } else if (number(body)) {
        end = body;
        while (number(end)) ++end;
      } else if (other(body)) {
        end = body;
        while (other(end)) ++end;
      } else {
        // \s+(?!\S) leaves the last space of a run to the word after it; \s+ takes a lone one.
        end = i;
        while (space(end)) ++end;
        if (end < n && end - i > 1) --end;
      }
    }
    std::string piece;
    for (size_t k = i; k < end; ++k) appendUtf8(piece, cps[k]);
    pieces.push_back(std::move(piece));
    i = end;
  }
  return pieces;
}

ByteLevelBpe::ByteLevelBpe(std::vector<std::string> tokens, const std::vector<std::string>& merges,
                           std::vector<AddedToken> added, const std::string& source, bool splitDigits)
    : m_tokens(std::move(tokens)), m_merges(merges), m_added(std::move(added)), m_splitDigits(splitDigits) {
  for (const auto& a : m_added) {
    if (a.id < 0 || a.content.empty())
      throw EngineError(source + ": added token with id " + std::to_string(a.id) + " is invalid");
    if (a.id > 10 * vocabSize() + 1000)
      throw EngineError(source + ": added token id " + std::to_string(a.id) +
                        " is implausibly far beyond the vocabulary");
    if (a.id >= vocabSize()) m_tokens.resize(static_cast<size_t>(a.id + 1));
  }
  for (size_t id = 0; id < m_tokens.size(); ++id)
    if (!m_tokens[id].empty()) m_ids.emplace(m_tokens[id], static_cast<int64_t>(id));
  for (int b = 0; b < 256; ++b) {
    std::string standIn;
    appendUtf8(standIn, byteStandIn(static_cast<unsigned char>(b)));
    const auto it = m_ids.find(standIn);
    if (it == m_ids.end())
      throw EngineError(source + ": the vocabulary has no token for byte " + std::to_string(b) +
                        " (not a byte-level BPE vocabulary?)");
    m_byteIds[b] = it->second;
  }
  for (size_t rank = 0; rank < m_merges.size(); ++rank) {
    const auto& merge = m_merges[rank];
    const auto space = merge.find(' ');
    const std::string where = source + ": merge " + std::to_string(rank + 1) + " '" + merge + "'";
    if (space == std::string::npos || space == 0 || space + 1 >= merge.size() ||
        merge.find(' ', space + 1) != std::string::npos)
      throw EngineError(where + " is not two tokens separated by one space");
    const std::string left = merge.substr(0, space), right = merge.substr(space + 1);
    const auto l = m_ids.find(left), r = m_ids.find(right), joined = m_ids.find(left + right);
    if (l == m_ids.end() || r == m_ids.end() || joined == m_ids.end())
      throw EngineError(where + " names a token that is not in the vocabulary");
    m_ranks.emplace(pairKey(l->second, r->second),
                    std::make_pair(static_cast<int32_t>(rank), joined->second));
  }
}

ByteLevelBpe ByteLevelBpe::fromVocabAndMerges(const std::string& vocabJsonPath,
                                              const std::string& mergesPath) {
  auto tokens = tokensById(parseJsonFile(vocabJsonPath, "tokenizer vocabulary"), vocabJsonPath);
  std::istringstream in(readFile(mergesPath, "tokenizer merges"));
  std::vector<std::string> merges;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.rfind("#version", 0) == 0) continue;
    merges.push_back(line);
  }
  std::vector<AddedToken> added;
  const auto eot = std::find(tokens.begin(), tokens.end(), "<|endoftext|>");
  if (eot != tokens.end()) added.push_back({eot - tokens.begin(), *eot});  // GPT-2's one special token
  return ByteLevelBpe(std::move(tokens), merges, std::move(added), mergesPath);
}

ByteLevelBpe ByteLevelBpe::fromTokenizerJson(const std::string& path) {
  const auto j = parseJsonFile(path, "tokenizer");
  try {
    const auto& model = j.at("model");
    if (model.value("type", std::string()) != "BPE")
      throw EngineError(path + ": model.type '" + model.value("type", std::string()) +
                        "' is not supported here (BPE)");
    if (j.contains("normalizer") && !j["normalizer"].is_null())
      throw EngineError(
          path +
          ": a normalizer is not supported (a SentencePiece-style tokenizer.json: use its tokenizer.model)");
    // ByteLevel alone, or Sequence[Digits(individual_digits), ByteLevel].
    nlohmann::json pre = j.at("pre_tokenizer");
    bool splitDigits = false;
    if (!pre.is_null() && pre.value("type", std::string()) == "Sequence") {
      const auto& steps = pre.at("pretokenizers");
      if (steps.size() == 2 && steps[0].value("type", std::string()) == "Digits" &&
          steps[0].value("individual_digits", false)) {
        splitDigits = true;
        pre = steps[1];
      }
    }
    if (pre.is_null() || pre.value("type", std::string()) != "ByteLevel" || !pre.value("use_regex", true) ||
        pre.value("add_prefix_space", false))
      throw EngineError(
          path +
          ": pre_tokenizer must be ByteLevel with GPT-2's pattern and no prefix space, optionally "
          "after Digits(individual_digits) (a SentencePiece-style tokenizer.json: use its tokenizer.model)");
    if (model.value("byte_fallback", false) ||
        !model.value("continuing_subword_prefix", nlohmann::json()).is_null() ||
        !model.value("end_of_word_suffix", nlohmann::json()).is_null())
      throw EngineError(
          path +
          ": BPE options byte_fallback / continuing_subword_prefix / end_of_word_suffix are not supported");
    auto tokens = tokensById(model.at("vocab"), path + ": model.vocab");
    std::vector<std::string> merges;
    for (const auto& m : model.at("merges")) {
      if (m.is_string()) {
        merges.push_back(m.get<std::string>());
      } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
        merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());  // tokenizers >= 0.20
      } else {
        throw EngineError(path + ": model.merges entry " + std::to_string(merges.size() + 1) +
                          " is neither \"a b\" nor [a, b]");
      }
    }
    std::vector<AddedToken> added;
    if (j.contains("added_tokens"))
      for (const auto& a : j.at("added_tokens"))
        added.push_back({a.at("id").get<int64_t>(), a.at("content").get<std::string>()});
    return ByteLevelBpe(std::move(tokens), merges, std::move(added), path, splitDigits);
  } catch (const nlohmann::json::exception& e) {
    throw EngineError(path + ": unexpected tokenizer.json layout (" + std::string(e.what()) + ")");
  }
}

ByteLevelBpe ByteLevelBpe::fromJson(const nlohmann::json& j) {
  std::vector<AddedToken> added;
  for (const auto& a : j.at("added"))
    added.push_back({a.at("id").get<int64_t>(), a.at("content").get<std::string>()});
  return ByteLevelBpe(j.at("tokens").get<std::vector<std::string>>(),
                      j.at("merges").get<std::vector<std::string>>(), std::move(added), "embedded tokenizer",
                      j.value("split_digits", false));
}

nlohmann::json ByteLevelBpe::toJson() const {
  nlohmann::json added = nlohmann::json::array();
  for (const auto& a : m_added) added.push_back({{"id", a.id}, {"content", a.content}});
  // Added tokens are listed separately; their slots in `tokens` stay as loaded.
  return {{"type", "byte_level_bpe"},
          {"tokens", m_tokens},
          {"merges", m_merges},
          {"added", added},
          {"split_digits", m_splitDigits}};
}

void ByteLevelBpe::encodePiece(const std::string& piece, std::vector<int64_t>& out) const {
  std::vector<int64_t> symbols;
  symbols.reserve(piece.size());
  for (const unsigned char b : piece) symbols.push_back(m_byteIds[b]);
  while (symbols.size() > 1) {
    int32_t bestRank = std::numeric_limits<int32_t>::max();
    int64_t bestLeft = -1, bestRight = -1, merged = -1;
    for (size_t k = 0; k + 1 < symbols.size(); ++k) {
      const auto it = m_ranks.find(pairKey(symbols[k], symbols[k + 1]));
      if (it != m_ranks.end() && it->second.first < bestRank) {
        bestRank = it->second.first;
        bestLeft = symbols[k];
        bestRight = symbols[k + 1];
        merged = it->second.second;
      }
    }
    if (merged < 0) break;
    mergeAdjacentPair(symbols, bestLeft, bestRight, merged);
  }
  out.insert(out.end(), symbols.begin(), symbols.end());
}

std::vector<int64_t> ByteLevelBpe::encode(const std::string& text) const {
  std::vector<int64_t> ids;
  std::unordered_map<std::string, std::vector<int64_t>> seen;  // pieces repeat a lot in real text
  auto encodeSpan = [&](const std::string& span) {
    const auto cps = decodeUtf8OrThrow(span, "text");
    auto encodePieces = [&](const std::vector<char32_t>& stretch) {
      for (const auto& piece : splitGpt2Pieces(stretch)) {
        auto it = seen.find(piece);
        if (it == seen.end()) {
          std::vector<int64_t> pieceIds;
          encodePiece(piece, pieceIds);
          it = seen.emplace(piece, std::move(pieceIds)).first;
        }
        ids.insert(ids.end(), it->second.begin(), it->second.end());
      }
    };
    if (!m_splitDigits) return encodePieces(cps);
    // Digits(individual_digits): each digit alone, GPT-2's pattern on the stretches between.
    std::vector<char32_t> stretch;
    for (const char32_t cp : cps) {
      if (!isUnicodeNumber(cp)) {
        stretch.push_back(cp);
        continue;
      }
      encodePieces(stretch);
      stretch.assign(1, cp);
      encodePieces(stretch);
      stretch.clear();
    }
    encodePieces(stretch);
  };
  // Added (special) tokens are matched literally before pre-tokenization; the earliest, then longest, wins.
  size_t start = 0;
  while (start < text.size()) {
    size_t bestAt = std::string::npos;
    const AddedToken* best = nullptr;
    for (const auto& a : m_added) {
      const size_t at = text.find(a.content, start);
      if (at != std::string::npos &&
          (at < bestAt || (at == bestAt && a.content.size() > best->content.size()))) {
        bestAt = at;
        best = &a;
      }
    }
    if (!best) {
      encodeSpan(text.substr(start));
      break;
    }
    if (bestAt > start) encodeSpan(text.substr(start, bestAt - start));
    ids.push_back(best->id);
    start = bestAt + best->content.size();
  }
  return ids;
}

std::string ByteLevelBpe::tokenBytes(int64_t id) const {
  if (id < 0 || id >= vocabSize()) return {};  // a model's padding ids beyond the tokenizer
  for (const auto& a : m_added)
    if (a.id == id) return a.content;
  std::vector<char32_t> cps;
  size_t bad = 0;
  decodeUtf8(m_tokens[static_cast<size_t>(id)], cps, bad);  // validated when loaded
  std::string bytes;
  const auto& table = byteTable().byteOf;
  for (const char32_t cp : cps) {
    const auto it = table.find(cp);
    if (it != table.end()) bytes += static_cast<char>(it->second);
  }
  return bytes;
}

std::string ByteLevelBpe::decode(const std::vector<int64_t>& ids) const {
  std::string bytes;
  for (const auto id : ids) bytes += tokenBytes(id);
  return replaceInvalidUtf8(bytes);
}

void ByteLevelBpe::saveFiles(const std::string& dir) const {
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (size_t id = 0; id < m_tokens.size(); ++id)
    if (!m_tokens[id].empty()) vocab[m_tokens[id]] = id;
  std::string merges = "#version: 0.2\n";
  for (const auto& m : m_merges) merges += m + "\n";
  writeFileAtomically(dir + "/vocab.json", vocab.dump());
  writeFileAtomically(dir + "/merges.txt", merges);

  // tokenizer.json carries what vocab.json + merges.txt cannot: added tokens, digit splitting.
  const nlohmann::ordered_json byteLevel = {
      {"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  nlohmann::ordered_json pre = byteLevel;
  if (m_splitDigits)
    pre = {{"type", "Sequence"},
           {"pretokenizers", {{{"type", "Digits"}, {"individual_digits", true}}, byteLevel}}};
  nlohmann::ordered_json added = nlohmann::ordered_json::array();
  for (const auto& a : m_added)
    added.push_back({{"id", a.id},
                     {"content", a.content},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  nlohmann::ordered_json pairs = nlohmann::ordered_json::array();
  for (const auto& m : m_merges) pairs.push_back(m);
  writeFileAtomically(dir + "/tokenizer.json", bpeTokenizerJson(vocab, pairs, pre, byteLevel, added));
}

std::string bpeTokenizerJson(const nlohmann::ordered_json& vocab, const nlohmann::ordered_json& merges,
                             const nlohmann::ordered_json& preTokenizer,
                             const nlohmann::ordered_json& decoder,
                             const nlohmann::ordered_json& addedTokens) {
  const nlohmann::ordered_json tokenizer = {{"version", "1.0"},
                                            {"truncation", nullptr},
                                            {"padding", nullptr},
                                            {"added_tokens", addedTokens},
                                            {"normalizer", nullptr},
                                            {"pre_tokenizer", preTokenizer},
                                            {"post_processor", nullptr},
                                            {"decoder", decoder},
                                            {"model",
                                             {{"type", "BPE"},
                                              {"dropout", nullptr},
                                              {"unk_token", nullptr},
                                              {"continuing_subword_prefix", nullptr},
                                              {"end_of_word_suffix", nullptr},
                                              {"fuse_unk", false},
                                              {"byte_fallback", false},
                                              {"ignore_merges", false},
                                              {"vocab", vocab},
                                              {"merges", merges}}}};
  return tokenizer.dump(2) + "\n";
}

}  // namespace distill
