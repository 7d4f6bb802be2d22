#pragma once

// The token cache: a corpus tokenized once, in a file later runs memory-map. Layout (little-endian):
//   ids            tokens × id_bytes (uint16 when the vocabulary fits, else uint32), at offset 0
//   documents      uint64 per document: where its ids start (after the separator before it)
//   header         JSON: what was tokenized (corpus digest, files, sizes and times), the tokenizer
//                  and its digest, counts, offsets
//   trailer        uint64 header offset, uint64 header length, "DSTLTOK1"
// It is written beside its final name and renamed into place, under a lock shared by every
// process, so a killed build leaves nothing that is used and two runs never build it twice.
// The file depends on nothing but the corpus and the tokenizer (not on the thread count).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/corpus_reader.h"
#include "data/token_stream.h"
#include "distill/model_info.h"
#include "tokenizers/tokenizer.h"

namespace distill {

struct TokenCacheRequest {
  std::string corpus;  ///< the path as configured (a file or a folder)
  std::vector<CorpusFile> files;
  std::string textField;
  std::optional<Tokenizer> tokenizer;  ///< none: a char tokenizer built from the corpus
  std::string tokenizerLabel;          ///< names the cache: "char", a tokenizer path, "embedded"
  CorpusOptions options;
  size_t segmentBytes = 1 << 20;  ///< text per encoded piece (tests make it small to cut often)
};

struct TokenCache {
  std::string path;  ///< "" for a temporary cache
  bool reused = false;
  double seconds = 0;
  Tokenizer tokenizer;
  std::string digest;  ///< the corpus digest (CorpusReader::digest)
  int64_t bytes = 0;
  std::shared_ptr<const TokenIds> ids;
  std::vector<int64_t> documentStarts;
  std::string note;  ///< what a user should know (an unwritable cache folder), or empty
};

/// Opens the request's cache when it is current, else (re)builds it. Throws EngineError naming the
/// corpus file and position for bad input, and the cache for an unwritable folder.
TokenCache loadTokenCache(const TokenCacheRequest& request);

/// The ids of `segments`, each encoded on its own, on `threads` threads (same result for any count).
std::vector<std::vector<uint32_t>> encodeSegments(const Tokenizer& tokenizer,
                                                  const std::vector<TextSegment>& segments, int threads,
                                                  const std::function<bool()>& cancelled = {});

}  // namespace distill
