#pragma once

// Tokenizers by path, for the CLI and the GUI: encode / decode with a tokenizer folder or file,
// and train a new byte-level BPE or SentencePiece tokenizer on a corpus.

#include <functional>
#include <string>
#include <vector>

namespace distill {

/// The ids `text` encodes to with the tokenizer at `path` (a folder with vocab.json + merges.txt,
/// tokenizer.json or tokenizer.model, or one of those files). Throws EngineError.
std::vector<long long> tokenizeText(const std::string& path, const std::string& text);
std::string detokenizeIds(const std::string& path, const std::vector<long long>& ids);
/// Whether `dir` holds tokenizer files (vocab.json + merges.txt, tokenizer.json, tokenizer.model).
bool folderHasTokenizer(const std::string& dir);

struct TokenizerTrainingOptions {
  std::string kind = "bpe";  ///< bpe (byte-level, GPT-2 files) | sentencepiece (BPE model, byte fallback)
  std::string corpus;        ///< UTF-8 text file
  int vocabSize = 512;
  std::string outDir;  ///< created if missing; existing tokenizer files there are replaced
  /// Called now and then with the fraction done; return false to stop (throws EngineError "cancelled").
  std::function<bool(double)> progress;
};

struct TokenizerTrainingResult {
  std::string path;  ///< what data.tokenizer should name (the folder)
  long long vocabSize = 0;
  long long corpusBytes = 0;
  long long corpusTokens = 0;  ///< the corpus encoded with the new tokenizer
};

/// Trains on the whole corpus and checks that the result loads and round-trips it. Throws
/// EngineError naming the problem (unreadable or non-UTF-8 corpus, vocabulary too small, ...).
TokenizerTrainingResult trainTokenizer(const TokenizerTrainingOptions& options);

}  // namespace distill
