#pragma once

// Writes a model as a Hugging Face folder (config.json, model.safetensors, tokenizer files) that
// transformers and importHuggingFaceModel load: the inverse of hf_import for the GPT-2 layout
// (transformer with biases) and Llama.

#include <string>

#include "models/language_model.h"
#include "tokenizers/tokenizer.h"

namespace distill {

struct HfExportResult {
  std::string modelType;          ///< gpt2 | llama
  bool tokenizerWritten = false;  ///< false for char tokenizers (no Hugging Face format)
};

/// Throws EngineError for models the formats cannot hold (recurrent nets, a transformer without
/// biases) and for write failures.
HfExportResult exportHuggingFaceModel(LanguageModelImpl& model, int64_t contextLength,
                                      const Tokenizer& tokenizer, const std::string& dir);

}  // namespace distill
