#pragma once

#include "language_model.h"

namespace distill {

/// Builds an untrained model of the given shape; weights depend only on the current torch seed.
LanguageModel makeModel(const ModelSpec& spec, int64_t vocabSize, int64_t blockSize);

/// Copies every parameter and buffer of `from` into `to` (same architecture).
void copyWeights(const LanguageModel& from, const LanguageModel& to);

}  // namespace distill
