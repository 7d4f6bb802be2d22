#pragma once

#include <string>

#include "distill/config.h"
#include "models/language_model.h"
#include "tokenizers/tokenizer.h"

namespace distill {

/// Everything needed to rebuild a model without the experiment file.
struct CheckpointInfo {
  std::string modelName;  ///< "teacher", "<student>-kd", "<student>-scratch"
  ModelSpec spec;
  int64_t vocabSize = 0;
  int64_t blockSize = 0;
  int step = 0;
  Tokenizer tokenizer;
};

struct LoadedModel {
  LanguageModel model;
  CheckpointInfo info;
};

/// Writes weights plus metadata (JSON inside the archive) atomically to `path`.
void saveCheckpoint(const std::string& path, LanguageModelImpl& model, const CheckpointInfo& info);

/// Rebuilds the model a checkpoint describes and loads its weights. Throws EngineError naming the
/// file for a missing, truncated, corrupt or foreign file.
LoadedModel loadCheckpoint(const std::string& path);

}  // namespace distill
