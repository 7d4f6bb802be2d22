#include "tokenizers/tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "distill/errors.h"
#include "tokenizers/byte_level_bpe.h"
#include "tokenizers/sentencepiece_tokenizer.h"
#include "util/paths.h"
#include "util/utf8.h"

namespace distill {

namespace {

std::string describe(char32_t cp) {
  if (cp == '\n') return "'\\n'";
  if (cp == '\t') return "'\\t'";
  std::string s = "'";
  appendUtf8(s, cp);
  // Unicode writes code points in hex, at least four digits: U+65E5 for 日, U+1F600 for 😀.
  char hex[16];
  std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(cp));
  return s + "' (" + hex + ")";
}

}  // namespace

CharTokenizer::CharTokenizer(std::vector<char32_t> chars) : m_chars(std::move(chars)) {
  for (size_t i = 0; i < m_chars.size(); ++i) m_ids[m_chars[i]] = static_cast<int64_t>(i);
}

CharTokenizer CharTokenizer::fromText(const std::string& text) {
  const auto cps = decodeUtf8OrThrow(text, "text");
  std::set<char32_t> unique(cps.begin(), cps.end());
  return CharTokenizer(std::vector<char32_t>(unique.begin(), unique.end()));
}

CharTokenizer CharTokenizer::fromVocabulary(const std::string& vocabularyText) {
  auto cps = decodeUtf8OrThrow(vocabularyText, "tokenizer vocabulary");
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
  return encode(decodeUtf8OrThrow(text, "text"));
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

namespace {

namespace fs = std::filesystem;

class CharModel : public TokenizerModel {
public:
  explicit CharModel(CharTokenizer chars) : m_chars(std::move(chars)) {}
  std::vector<int64_t> encode(const std::string& text) const override { return m_chars.encode(text); }
  std::string decode(const std::vector<int64_t>& ids) const override { return m_chars.decode(ids); }
  std::string decodeOne(int64_t id) const override { return m_chars.decodeOne(id); }
  int64_t vocabSize() const override { return m_chars.vocabSize(); }
  std::string kind() const override { return "char"; }
  nlohmann::json toJson() const override {
    return {{"type", "char"}, {"vocabulary", m_chars.vocabularyText()}};
  }
  /// tokenizer.json in the `tokenizers` library's format: a BPE model without merges and without
  /// a pre-tokenizer splits the text into its characters and maps each to its id; the Fuse decoder
  /// joins them back without spaces.
  bool saveFiles(const std::string& dir) const override {
    nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
    for (int64_t id = 0; id < m_chars.vocabSize(); ++id) vocab[m_chars.decodeOne(id)] = id;
    writeFileAtomically(dir + "/tokenizer.json",
                        bpeTokenizerJson(vocab, nlohmann::ordered_json::array(), nullptr, {{"type", "Fuse"}},
                                         nlohmann::ordered_json::array()));
    return true;
  }

private:
  CharTokenizer m_chars;
};

class BpeModel : public TokenizerModel {
public:
  explicit BpeModel(ByteLevelBpe bpe) : m_bpe(std::move(bpe)) {}
  std::vector<int64_t> encode(const std::string& text) const override { return m_bpe.encode(text); }
  std::string decode(const std::vector<int64_t>& ids) const override { return m_bpe.decode(ids); }
  std::string decodeOne(int64_t id) const override { return replaceInvalidUtf8(m_bpe.tokenBytes(id)); }
  int64_t vocabSize() const override { return m_bpe.vocabSize(); }
  int64_t endOfText() const override {
    for (const auto& added : m_bpe.addedTokens())
      if (added.content == "<|endoftext|>") return added.id;
    return -1;
  }
  std::string kind() const override { return "byte_level_bpe"; }
  nlohmann::json toJson() const override { return m_bpe.toJson(); }
  bool saveFiles(const std::string& dir) const override {
    m_bpe.saveFiles(dir);
    return true;
  }

private:
  ByteLevelBpe m_bpe;
};

std::string fromHex(const std::string& hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw EngineError("embedded SentencePiece model is not hexadecimal");
  };
  if (hex.size() % 2) throw EngineError("embedded SentencePiece model has an odd number of hex digits");
  std::string bytes(hex.size() / 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>(nibble(hex[2 * i]) * 16 + nibble(hex[2 * i + 1]));
  return bytes;
}

/// The characters of a tokenizer.json a char tokenizer wrote (CharModel::saveFiles: a BPE model
/// without merges, pre-tokenizer or added tokens, decoded by Fuse); nullopt for any other.
std::optional<CharTokenizer> charTokenizerJson(const std::string& path) {
  const auto j = nlohmann::json::parse(readFile(path, "tokenizer"), nullptr, false);
  if (!j.is_object() || !j.contains("model") || !j["model"].is_object()) return std::nullopt;
  const auto& model = j["model"];
  const bool charForm = model.value("type", "") == "BPE" && model.contains("merges") &&
                        model["merges"].empty() && j.contains("pre_tokenizer") &&
                        j["pre_tokenizer"].is_null() && j.contains("decoder") && j["decoder"].is_object() &&
                        j["decoder"].value("type", "") == "Fuse";
  if (!charForm || !model.contains("vocab") || !model["vocab"].is_object()) return std::nullopt;
  std::vector<std::string> chars(model["vocab"].size());
  for (const auto& [token, id] : model["vocab"].items()) {
    const auto index = id.get<int64_t>();
    if (index < 0 || index >= static_cast<int64_t>(chars.size()))
      throw EngineError(path + ": token id " + std::to_string(index) + " outside the vocabulary");
    chars[static_cast<size_t>(index)] = token;
  }
  std::string text;
  for (const auto& c : chars) text += c;
  return CharTokenizer::fromVocabulary(text);
}

}  // namespace

Tokenizer::Tokenizer() : Tokenizer(CharTokenizer()) {}

Tokenizer::Tokenizer(CharTokenizer chars) : m_model(std::make_shared<CharModel>(std::move(chars))) {}

bool Tokenizer::folderHasTokenizer(const std::string& dir) {
  const fs::path d(dir);
  return (fs::exists(d / "vocab.json") && fs::exists(d / "merges.txt")) || fs::exists(d / "tokenizer.json") ||
         fs::exists(d / "tokenizer.model");
}

Tokenizer Tokenizer::load(const std::string& path) {
  const fs::path p(path);
  std::error_code ec;
  if (!fs::exists(p, ec)) throw EngineError("tokenizer " + path + " does not exist");
  if (fs::is_directory(p, ec)) {
    if (fs::exists(p / "tokenizer.json")) return load((p / "tokenizer.json").string());
    if (fs::exists(p / "vocab.json") && fs::exists(p / "merges.txt"))
      return Tokenizer(std::make_shared<BpeModel>(
          ByteLevelBpe::fromVocabAndMerges((p / "vocab.json").string(), (p / "merges.txt").string())));
    if (fs::exists(p / "tokenizer.model")) return load((p / "tokenizer.model").string());
    throw EngineError("tokenizer folder " + path +
                      " has no tokenizer.json, vocab.json + merges.txt or tokenizer.model");
  }
  if (p.extension() == ".json") {
    if (auto chars = charTokenizerJson(path)) return Tokenizer(std::move(*chars));
    return Tokenizer(std::make_shared<BpeModel>(ByteLevelBpe::fromTokenizerJson(path)));
  }
  if (p.extension() == ".model") return Tokenizer(loadSentencePieceFile(path));
  throw EngineError("tokenizer " + path +
                    ": expected a folder, a tokenizer.json or a SentencePiece .model file");
}

Tokenizer Tokenizer::fromJson(const nlohmann::json& j) {
  try {
    const std::string type = j.at("type").get<std::string>();
    if (type == "char")
      return Tokenizer(CharTokenizer::fromVocabulary(j.at("vocabulary").get<std::string>()));
    if (type == "byte_level_bpe") return Tokenizer(std::make_shared<BpeModel>(ByteLevelBpe::fromJson(j)));
    if (type == "sentencepiece")
      return Tokenizer(
          sentencePieceFromProto(fromHex(j.at("model_hex").get<std::string>()), "embedded tokenizer"));
    throw EngineError("unknown tokenizer type '" + type + "'");
  } catch (const nlohmann::json::exception& e) {
    throw EngineError(std::string("malformed embedded tokenizer: ") + e.what());
  }
}

nlohmann::json Tokenizer::toJson() const { return m_model->toJson(); }

}  // namespace distill
