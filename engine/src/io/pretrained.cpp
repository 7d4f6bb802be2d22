#include "distill/pretrained.h"

#include "distill/model_info.h"
#include "io/checkpoint.h"
#include "io/hf_export.h"
#include "io/hf_import.h"
#include "tokenizers/tokenizer.h"

namespace distill {

PretrainedShape readPretrainedShape(const std::string& dir) {
  const auto shape = readHuggingFaceShape(dir);
  return {shape.modelType, shape.spec, shape.vocabSize, shape.contextLength,
          parameterCount(shape.spec, shape.vocabSize, static_cast<int>(shape.contextLength))};
}

PretrainedModelInfo inspectPretrainedModel(const std::string& dir) {
  const auto imported = importHuggingFaceModel(dir);
  const auto& spec = imported.model->spec();
  PretrainedModelInfo info;
  info.dir = dir;
  info.modelType = imported.modelType;
  info.arch = nameOf(spec.arch);
  info.parameters = imported.model->parameterCount();
  info.layers = spec.layers;
  info.heads = spec.heads;
  info.kvHeads = spec.kv_heads > 0 ? spec.kv_heads : spec.heads;
  info.embd = spec.embd;
  info.mlp = spec.arch == Arch::Llama ? spec.hidden : 4 * spec.embd;
  info.vocabSize = imported.model->vocabSize();
  info.contextLength = imported.contextLength;
  info.tiedHead = spec.tie_weights;
  info.ropeTheta = spec.arch == Arch::Llama ? spec.rope_theta : 0.0;
  info.dtypeParameters.insert(imported.dtypeParameters.begin(), imported.dtypeParameters.end());
  info.tokenizer = Tokenizer::folderHasTokenizer(dir) ? Tokenizer::load(dir).kind() : "none";
  return info;
}

std::string exportCheckpointToHuggingFace(const std::string& checkpointPath, const std::string& outDir) {
  const auto loaded = loadCheckpoint(checkpointPath);
  const auto r = exportHuggingFaceModel(*loaded.model, loaded.info.blockSize, loaded.info.tokenizer, outDir);
  return loaded.info.modelName + " (" + std::to_string(loaded.model->parameterCount()) +
         " parameters) written to " + outDir + " as " + r.modelType +
         (r.tokenizerWritten ? " with its " + loaded.info.tokenizer.kind() + " tokenizer"
                             : "; its tokenizer has no Hugging Face format, so the folder has none");
}

}  // namespace distill
