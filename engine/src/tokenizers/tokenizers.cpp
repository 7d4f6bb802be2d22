// The public tokenizer API (distill/tokenizers.h): tokenize, detokenize and train for the GUI and CLI.

#include "distill/tokenizers.h"

#include <filesystem>

#include "distill/errors.h"
#include "tokenizers/sentencepiece_tokenizer.h"
#include "tokenizers/tokenizer.h"
#include "tokenizers/tokenizer_training.h"
#include "util/paths.h"
#include "util/utf8.h"

namespace distill {

namespace {

namespace fs = std::filesystem;

void trainSentencePiece(const TokenizerTrainingOptions& o) {
  // Identity normalisation, kept whitespace and byte fallback: decoding gives the text back exactly.
  const std::string args = "--input=" + o.corpus +
                           " --model_prefix=" + (fs::path(o.outDir) / "tokenizer").string() +
                           " --vocab_size=" + std::to_string(o.vocabSize) +
                           " --model_type=bpe --character_coverage=1.0 --byte_fallback=true"
                           " --normalization_rule_name=identity --remove_extra_whitespaces=false"
                           " --add_dummy_prefix=false --split_digits=true --max_sentence_length=100000"
                           " --minloglevel=2";
  trainSentencePieceModel(args);
}

}  // namespace

std::vector<long long> tokenizeText(const std::string& path, const std::string& text) {
  const auto ids = Tokenizer::load(path).encode(text);
  return std::vector<long long>(ids.begin(), ids.end());
}

std::string detokenizeIds(const std::string& path, const std::vector<long long>& ids) {
  return Tokenizer::load(path).decode(std::vector<int64_t>(ids.begin(), ids.end()));
}

bool folderHasTokenizer(const std::string& dir) { return Tokenizer::folderHasTokenizer(dir); }

TokenizerTrainingResult trainTokenizer(const TokenizerTrainingOptions& o) {
  if (o.kind != "bpe" && o.kind != "sentencepiece")
    throw EngineError("tokenizer kind must be bpe or sentencepiece (got '" + o.kind + "')");
  if (o.vocabSize < 257 || o.vocabSize > 1000000)
    throw EngineError("vocabulary size must be in [257, 1000000]");
  if (o.outDir.empty()) throw EngineError("no output folder for the tokenizer");
  const std::string text = readFile(o.corpus, "corpus");
  if (text.empty()) throw EngineError("corpus is empty: " + o.corpus);
  decodeUtf8OrThrow(text, "corpus " + o.corpus);
  std::error_code ec;
  fs::create_directories(o.outDir, ec);
  if (ec) throw EngineError("cannot create " + o.outDir + ": " + ec.message());
  // One kind per folder: a stale file of the other kind would be picked up first by Tokenizer::load.
  for (const char* stale :
       {"vocab.json", "merges.txt", "tokenizer.json", "tokenizer.model", "tokenizer.vocab"})
    fs::remove(fs::path(o.outDir) / stale, ec);
  if (o.kind == "bpe") {
    trainByteLevelBpe(text, o.vocabSize, o.progress).saveFiles(o.outDir);
  } else {
    if (o.progress) o.progress(0.0);
    trainSentencePiece(o);
  }
  const auto tokenizer = Tokenizer::load(o.outDir);
  const auto ids = tokenizer.encode(text);
  if (tokenizer.decode(ids) != text)
    throw EngineError("the trained tokenizer does not give the corpus back when decoding it (" + o.outDir +
                      ")");
  if (o.progress) o.progress(1.0);
  return {o.outDir, tokenizer.vocabSize(), static_cast<long long>(text.size()),
          static_cast<long long>(ids.size())};
}

}  // namespace distill
