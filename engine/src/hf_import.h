#pragma once

// Pretrained teachers from a local Hugging Face folder (config.json + model.safetensors).
// So far: the GPT-2 family, mapped onto TransformerLM (same layout: learned positions, pre-LN
// blocks, fused qkv, GELU 4x MLP, final LN, tied head).

#include <string>

#include "language_model.h"

namespace distill {

struct ImportedModel {
  LanguageModel model;
  std::string modelType;  ///< config.json's model_type
  int64_t contextLength = 0;
};

/// Loads `dir`. Throws EngineError naming the file and key for a missing or unsupported config,
/// and for tensors that are missing or have the wrong shape.
ImportedModel importHuggingFaceModel(const std::string& dir);

}  // namespace distill
