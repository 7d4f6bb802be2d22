#include "model_factory.h"

#include "distill/errors.h"
#include "recurrent_lm.h"
#include "transformer_lm.h"

namespace distill {

LanguageModel makeModel(const ModelSpec& spec, int64_t vocabSize, int64_t blockSize) {
  if (spec.arch == "transformer") return std::make_shared<TransformerLMImpl>(spec, vocabSize, blockSize);
  if (spec.arch == "lstm" || spec.arch == "gru") return std::make_shared<RecurrentLMImpl>(spec, vocabSize);
  throw EngineError("unknown model architecture '" + spec.arch + "' (expected transformer, lstm or gru)");
}

void copyWeights(const LanguageModel& from, const LanguageModel& to) {
  torch::NoGradGuard noGrad;
  auto source = from->named_parameters();
  for (auto& item : to->named_parameters()) item.value().copy_(source[item.key()]);
  auto sourceBuffers = from->named_buffers();
  for (auto& item : to->named_buffers()) item.value().copy_(sourceBuffers[item.key()]);
}

}  // namespace distill
