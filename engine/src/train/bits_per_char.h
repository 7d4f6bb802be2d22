#pragma once

// Bits per character: a validation loss that models with different tokenizers share. A loss is
// nats per token, and tokens differ between tokenizers; the text they stand for does not. Over the
// same validation text, bits/char = (nats per token · tokens) / (ln 2 · characters).

#include <cmath>
#include <vector>

#include "data/corpus.h"
#include "tokenizers/tokenizer.h"

namespace distill {

/// Characters (Unicode code points) per counted target token of `batches`: each row's counted
/// targets (all of them, or those its mask sets) decoded together, their code points over their
/// number. Exactly 1 for a char tokenizer. (SentencePiece drops a row's leading word-boundary
/// space when it decodes: at most one character per row too few.)
double charactersPerToken(const std::vector<Batch>& batches, const Tokenizer& tokenizer);

/// Bits per character of a mean cross-entropy of `natsPerToken`.
inline double bitsPerCharacter(double natsPerToken, double charsPerToken) {
  return natsPerToken / (std::log(2.0) * charsPerToken);
}

}  // namespace distill
