#pragma once

// Facts about models and corpora that the experiment form shows while the user edits, computed
// without building anything heavy.

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
};

/// Reads and checks the corpus as a run would; throws EngineError naming the problem.
/// The tinyshakespeare copy shipped with the project (what an empty data.corpus means).
std::string bundledCorpusPath();

/// `teacher` resolves data.tokenizer "teacher" (the tokenizer in teacher.hf's folder).
CorpusInfo inspectCorpus(const DataConfig& data, const TeacherConfig& teacher = {});

}  // namespace distill
