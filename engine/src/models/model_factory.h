#pragma once

#include "models/language_model.h"

namespace distill {

/// Builds an untrained model of the given shape; weights depend only on the current torch seed.
LanguageModel makeModel(const ModelSpec& spec, int64_t vocabSize, int64_t blockSize);

/// Copies every parameter and buffer of `from` into `to` (same architecture).
void copyWeights(const LanguageModel& from, const LanguageModel& to);

/// DistilGPT2's initialisation: the student (the teacher's architecture and width, fewer layers)
/// takes the teacher's embeddings, final norm and head, and its block i from teacher block
/// i · L_teacher / L_student. Throws EngineError when the shapes do not allow it.
void initFromTeacherLayers(const LanguageModel& teacher, const LanguageModel& student);

}  // namespace distill
