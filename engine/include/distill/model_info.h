#pragma once

// Facts about models and corpora that the experiment form shows while the user edits, computed
// without building anything heavy.

#include <functional>
#include <string>

#include "distill/config.h"

namespace distill {

/// Parameters of a model of this shape, counted as LibTorch counts them (tied weights once).
long long parameterCount(const ModelSpec& spec, long long vocabSize, int blockSize);

struct CorpusInfo {
  long long bytes = 0;
  long long characters = 0;  ///< tokens, for the char tokenizer
  long long vocabSize = 0;
  long long trainTokens = 0;
  long long valTokens = 0;
  long long documents = 0;
  std::string tokenizerKind;  ///< char, byte_level_bpe, sentencepiece
  std::string cachePath;      ///< the token cache the ids come from ("" when it was temporary)
  bool reusedCache = false;   ///< an existing cache was opened (nothing was tokenized)
  double seconds = 0;         ///< time to tokenize or to open the cache
  std::string note;           ///< e.g. the cache folder was not writable (tokenized for this run only)
};

/// How far preparing a corpus has come: `stage` ("scanning characters", "tokenizing")
/// and bytes of text read of the total.
struct CorpusProgress {
  std::string stage;
  long long doneBytes = 0;
  long long totalBytes = 0;
};

/// Where and how a corpus is tokenized.
struct CorpusOptions {
  /// Where token caches live (shared by runs and sweep trials); empty: a temporary cache, deleted
  /// once mapped.
  std::string cacheDir;
  int threads = 0;  ///< tokenizer threads; 0: every core (the ids never depend on it)
  std::function<void(const CorpusProgress&)> progress;  ///< called from the preparing thread
  /// Polled between pieces of work; once true, preparing stops with EngineError "cancelled" and
  /// leaves no cache behind.
  std::function<bool()> cancelled;
};

/// The token-cache folder of a runs root: <runsRoot>/token-cache.
std::string tokenCacheFolder(const std::string& runsRoot);

/// The tinyshakespeare copy shipped with the project (what an empty data.corpus means).
std::string bundledCorpusPath();

/// Reads, checks and tokenizes the corpus as a run would — into the token cache, or opening the
/// cache a run made before — and says what it holds; throws EngineError naming the problem (file
/// and line or byte offset). `teacher` resolves data.tokenizer "teacher" (teacher.hf's tokenizer).
CorpusInfo inspectCorpus(const DataConfig& data, const TeacherConfig& teacher = {},
                         const CorpusOptions& options = {});

}  // namespace distill
