#pragma once

// What a Hugging Face model folder holds, for `distill inspect` and the GUI's teacher picker.

#include <map>
#include <string>

#include "distill/config.h"

namespace distill {

struct PretrainedModelInfo {
  std::string dir;
  std::string modelType;  ///< config.json's model_type: gpt2 | llama
  std::string arch;       ///< what it maps onto here: transformer | llama
  long long parameters = 0;
  int layers = 0, heads = 0, kvHeads = 0, embd = 0, mlp = 0;
  long long vocabSize = 0, contextLength = 0;
  bool tiedHead = false;
  double ropeTheta = 0.0;                            ///< llama
  std::map<std::string, long long> dtypeParameters;  ///< stored dtype (F32, BF16, F16) → parameters
  std::string tokenizer;  ///< the folder's tokenizer kind (byte_level_bpe, sentencepiece), or "none"
};

/// What a folder's config.json describes, without loading weights (cheap: for the form).
struct PretrainedShape {
  std::string modelType;
  ModelSpec spec;
  long long vocabSize = 0;
  long long contextLength = 0;
  long long parameters = 0;
};
PretrainedShape readPretrainedShape(const std::string& dir);

/// Loads the folder (so every tensor is checked) and describes it. Throws EngineError.
PretrainedModelInfo inspectPretrainedModel(const std::string& dir);

/// Writes a run's checkpoint (.pt) as a Hugging Face folder: config.json, model.safetensors and
/// the tokenizer's files (GPT-2 layout for transformers with biases; Llama). Returns
/// one line saying what was written. Throws EngineError.
std::string exportCheckpointToHuggingFace(const std::string& checkpointPath, const std::string& outDir);

}  // namespace distill
