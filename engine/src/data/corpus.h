#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <string>

#include "data/examples.h"
#include "data/token_stream.h"
#include "distill/config.h"
#include "distill/model_info.h"
#include "tokenizers/tokenizer.h"

namespace distill {

/// A tokenized corpus split into training and validation streams (data.val_split).
struct Corpus {
  std::string path;
  int64_t bytes = 0;
  std::string sha256;  ///< the corpus digest (a file's SHA-256; a folder's: see CorpusReader::digest)
  int64_t documents = 0;
  Tokenizer tokenizer;
  TokenStream train;
  TokenStream val;
  /// Examples (data.format prompt_response, messages): train and val are packed rows of
  /// block_size + 1 tokens, and these flag each of their tokens 1 when it belongs to a response.
  /// Empty for running text (every token is a target).
  TokenStream trainResponse;
  TokenStream valResponse;
  std::vector<Example> trainExamples;  ///< the training examples, as read (prompts for generation)
  std::vector<Example> valExamples;    ///< the held-out examples, as read (generation is scored on them)
  CorpusInfo facts;                    ///< what inspectCorpus reports (cache, timing)
};

/// Reads, validates (exists, non-empty, text, UTF-8, JSON Lines fields) and tokenizes the corpus
/// (an empty path means the bundled tinyshakespeare) through the token cache of `options`. When
/// `tokenizer` is given (e.g. from a teacher checkpoint) it is used; otherwise data.tokenizer says:
/// "char" builds one from the text, a path loads one. Throws EngineError naming the file and the
/// problem.
Corpus loadCorpus(const DataConfig& data, const Tokenizer* tokenizer = nullptr,
                  const CorpusOptions& options = {});

/// loadCorpus for examples (data.format prompt_response, messages): read, checked, tokenized with
/// `tokenizer` (or data.tokenizer; char: from every example's text) and packed into rows.
Corpus loadExampleCorpus(const DataConfig& data, const Tokenizer* tokenizer);

/// `data` with tokenizer "teacher" replaced by the folder of the imported teacher (teacher.hf).
DataConfig withTokenizerResolved(DataConfig data, const TeacherConfig& teacher);

/// A random engine's position as text, and back (the standard's own stream format: exact).
std::string engineState(const std::mt19937_64& engine);
/// Throws EngineError naming `what` when `state` is not an engineState() string.
void restoreEngineState(std::mt19937_64& engine, const std::string& state, const std::string& what);

/// One training batch: inputs and next-token targets.
struct Batch {
  torch::Tensor x;     // (B, T) int64
  torch::Tensor y;     // (B, T) int64, x shifted left by one
  torch::Tensor mask;  // (B, T) bool: the targets that count (response tokens); undefined: all

  /// Rows [begin, end) of the batch.
  Batch rows(int64_t begin, int64_t end) const {
    auto slice = [&](const torch::Tensor& t) { return t.defined() ? t.slice(0, begin, end) : t; };
    return {slice(x), slice(y), slice(mask)};
  }
};

/// `batch` on `device` (the same tensors when they are there already).
inline Batch onDevice(const Batch& batch, const torch::Device& device) {
  if (batch.x.device() == device) return batch;
  return {batch.x.to(device), batch.y.to(device), batch.mask.defined() ? batch.mask.to(device) : batch.mask};
}

/// Random windows of a token stream, reproducible from a seed (so a distilled student and its
/// scratch twin see the same data in the same order). With `response` flags (packed examples) the
/// windows are whole rows of blockSize + 1 tokens and each batch carries its target mask.
class BatchSampler {
public:
  BatchSampler(TokenStream tokens, int blockSize, int batchSize, uint64_t seed, TokenStream response = {});
  Batch next();

  /// The position in the random sequence, as text (saved with a resumable checkpoint).
  std::string state() const;
  /// Continues from a state() string; throws EngineError when it is not one.
  void restore(const std::string& state);

private:
  TokenStream m_tokens;
  TokenStream m_response;
  int m_blockSize;
  int m_batchSize;
  std::mt19937_64 m_rng;
};

/// A fixed list of batches (evaluation averages over the same windows every time); with
/// `response` flags, the packed rows in order (every held-out example once, as far as `count`
/// batches reach).
std::vector<Batch> fixedBatches(const TokenStream& tokens, int blockSize, int batchSize, int count,
                                uint64_t seed, const TokenStream& response = {});

}  // namespace distill
