#pragma once

// Pretrained teachers from a local Hugging Face folder: config.json plus model.safetensors, or
// shards listed in model.safetensors.index.json. The GPT-2 family maps onto TransformerLM (learned
// positions, pre-LN blocks, fused qkv, GELU MLP, tied head); the Llama family onto LlamaLM.

#include <map>
#include <string>

#include "models/language_model.h"

namespace distill {

struct ImportedModel {
  LanguageModel model;
  std::string modelType;  ///< config.json's model_type
  int64_t contextLength = 0;
  std::map<std::string, int64_t> dtypeParameters;  ///< stored dtype → parameters of that dtype
};

/// What config.json describes, read without touching the weights.
struct HfModelShape {
  std::string modelType;  ///< gpt2 | llama
  ModelSpec spec;
  int64_t vocabSize = 0;
  int64_t contextLength = 0;
};

/// Reads and checks config.json only. Throws EngineError naming the file and key.
HfModelShape readHuggingFaceShape(const std::string& dir);

/// Whether `dir` looks like a Hugging Face model folder (has a config.json).
bool isHuggingFaceFolder(const std::string& dir);

/// Loads `dir`. Throws EngineError naming the file and key for a missing or unsupported config,
/// and for tensors that are missing or have the wrong shape.
ImportedModel importHuggingFaceModel(const std::string& dir);

}  // namespace distill
