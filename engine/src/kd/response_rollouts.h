#pragma once

// On-policy KD on prompt/response data (GKD on prompts, as TRL's GKDTrainer): the student answers
// training prompts itself and the teacher scores the answer's tokens. This file turns prompts into
// the student's answers, laid out as rows the teacher and student read, with the positions that
// predict an answer token marked.

#include <torch/torch.h>

#include <cstdint>
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

/// The student's sampled answers to the prompts `picked` (indices into `pool`), decoded together
/// per prompt length, each at most pool.maxNewTokens and within `blockSize` tokens in all.
ResponseRows sampleResponses(LanguageModelImpl& student, const PromptPool& pool,
                             const std::vector<int64_t>& picked, int blockSize, double temperature, int topK,
                             at::Generator& generator);

}  // namespace distill
