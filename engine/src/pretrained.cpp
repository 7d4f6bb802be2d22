#include "distill/pretrained.h"

#include "hf_import.h"
#include "tokenizer.h"

namespace distill {

PretrainedModelInfo inspectPretrainedModel(const std::string& dir) {
  const auto imported = importHuggingFaceModel(dir);
  const auto& spec = imported.model->spec();
  PretrainedModelInfo info;
  info.dir = dir;
  info.modelType = imported.modelType;
  info.arch = spec.arch;
  info.parameters = imported.model->parameterCount();
  info.layers = spec.layers;
  info.heads = spec.heads;
  info.kvHeads = spec.kv_heads > 0 ? spec.kv_heads : spec.heads;
  info.embd = spec.embd;
  info.mlp = spec.arch == "llama" ? spec.hidden : 4 * spec.embd;
  info.vocabSize = imported.model->vocabSize();
  info.contextLength = imported.contextLength;
  info.tiedHead = spec.tie_weights;
  info.ropeTheta = spec.arch == "llama" ? spec.rope_theta : 0.0;
  info.dtypeParameters.insert(imported.dtypeParameters.begin(), imported.dtypeParameters.end());
  info.tokenizer = Tokenizer::folderHasTokenizer(dir) ? Tokenizer::load(dir).kind() : "none";
  return info;
}

}  // namespace distill
