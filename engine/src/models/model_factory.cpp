#include "models/model_factory.h"

#include "distill/errors.h"
#include "models/llama_lm.h"
#include "models/recurrent_lm.h"
#include "models/transformer_lm.h"

namespace distill {

LanguageModel makeModel(const ModelSpec& spec, int64_t vocabSize, int64_t blockSize) {
  switch (spec.arch) {
    case Arch::Transformer:
      return std::make_shared<TransformerLMImpl>(spec, vocabSize, blockSize);
    case Arch::Llama:
      return std::make_shared<LlamaLMImpl>(spec, vocabSize, blockSize);
    case Arch::Lstm:
    case Arch::Gru:
      return std::make_shared<RecurrentLMImpl>(spec, vocabSize);
  }
  throw EngineError("unknown model architecture");
}

void copyWeights(const LanguageModel& from, const LanguageModel& to) {
  torch::NoGradGuard noGrad;
  auto source = from->named_parameters();
  for (auto& item : to->named_parameters()) item.value().copy_(source[item.key()]);
  auto sourceBuffers = from->named_buffers();
  for (auto& item : to->named_buffers()) item.value().copy_(sourceBuffers[item.key()]);
}

void initFromTeacherLayers(const LanguageModel& teacher, const LanguageModel& student) {
  const int teacherLayers = teacher->spec().layers, studentLayers = student->spec().layers;
  if (teacher->spec().arch != student->spec().arch || teacher->spec().embd != student->spec().embd ||
      studentLayers > teacherLayers)
    throw EngineError(
        "init_from_teacher needs a student of the teacher's architecture and width with at most its " +
        std::to_string(teacherLayers) + " layers");
  torch::NoGradGuard noGrad;
  auto source = teacher->named_parameters();
  for (auto& item : student->named_parameters()) {
    std::string name = item.key();
    if (name.rfind("block", 0) == 0) {
      // Student block i takes teacher block i · L_t / L_s: every other one at half depth.
      const size_t dot = name.find('.');
      const int i = std::stoi(name.substr(5, dot - 5));
      name = "block" + std::to_string(i * teacherLayers / studentLayers) + name.substr(dot);
    }
    const auto* from = source.find(name);
    if (!from) throw EngineError("init_from_teacher: the teacher has no parameter " + name);
    // A student with a shorter context takes the first rows of the teacher's position table.
    const auto value = name == "positions.weight" ? from->slice(0, 0, item.value().size(0)) : *from;
    if (value.sizes() != item.value().sizes())
      throw EngineError("init_from_teacher: the teacher's " + name + " does not have the student's shape");
    item.value().copy_(value);
  }
}

}  // namespace distill
