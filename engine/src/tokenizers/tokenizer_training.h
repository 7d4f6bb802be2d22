#pragma once

#include <functional>
#include <string>

#include "tokenizers/byte_level_bpe.h"

namespace distill {

/// Byte-level BPE on `text` (GPT-2's pre-tokenizer, then the most frequent adjacent pair merged
/// until `vocabSize` tokens: <|endoftext|>, the 256 bytes, then merges; pairs seen once stop it).
/// `progress` gets the fraction of merges done and may return false to stop early.
ByteLevelBpe trainByteLevelBpe(const std::string& text, int vocabSize,
                               const std::function<bool(double)>& progress = {});

}  // namespace distill
