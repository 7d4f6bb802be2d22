#pragma once

// On-policy KD on prompt/response data (GKD on prompts, as TRL's GKDTrainer): the student answers
// training prompts itself and the teacher scores the answer's tokens. This file turns prompts into
// the student's answers, laid out as rows the teacher and student read, with the positions that
// predict an answer token marked.

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/examples.h"
#include "models/language_model.h"
#include "tokenizers/tokenizer.h"

namespace distill {

/// The training prompts, tokenized once, that leave room for an answer in a block.
struct PromptPool {
  std::vector<std::vector<int64_t>> prompts;
  std::vector<int64_t> responseEnd;  ///< data.response_end's ids: an answer ends after them
  int64_t maxNewTokens = 0;          ///< an answer's cap: twice the longest reference and the end marker
};

/// The pool of `examples`' prompts shorter than `blockSize` tokens.
PromptPool makePromptPool(const std::vector<Example>& examples, const Tokenizer& tokenizer,
                          const std::string& responseEnd, int blockSize);

/// Rows of prompt + answer and where the loss counts.
struct ResponseRows {
  torch::Tensor tokens;        ///< (B, W) int64: each row its prompt, its answer, then padding (id 0)
  torch::Tensor positionMask;  ///< (B, W) bool: positions whose next token belongs to the answer
};

/// `sequences` (each a prompt of `promptLengths[r]` tokens followed by generated ones) cut after the
/// first `responseEnd` that follows the prompt (kept whole: it is part of the answer) and padded to
/// the longest row, at most `width` tokens.
ResponseRows responseRows(const std::vector<std::vector<int64_t>>& sequences,
                          const std::vector<int64_t>& promptLengths, const std::vector<int64_t>& responseEnd,
                          int64_t width);

/// Continues each of `prompts` (token ids) by up to `newTokens[k]` sampled tokens (0: left out),
/// prompts of one length decoded together with the KV cache, at most `batchRows` at a time, in
/// increasing length (the generator's draws follow that order). Returns each prompt followed by its
/// batch's longest continuation — empty for a prompt left out. `keepGoing(done, tokens)` (prompts
/// handled, tokens decoded) is asked before every batch; false stops and returns nothing.
std::vector<std::vector<int64_t>> continuePrompts(
    LanguageModelImpl& model, const std::vector<std::vector<int64_t>>& prompts,
    const std::vector<int64_t>& newTokens, size_t batchRows, double temperature, int topK,
    at::Generator& generator, const std::function<bool(int64_t, int64_t)>& keepGoing = {});

/// The student's sampled answers to the prompts `picked` (indices into `pool`), decoded together
/// per prompt length, each at most pool.maxNewTokens and within `blockSize` tokens in all.
ResponseRows sampleResponses(LanguageModelImpl& student, const PromptPool& pool,
                             const std::vector<int64_t>& picked, int blockSize, double temperature, int topK,
                             at::Generator& generator);

}  // namespace distill
