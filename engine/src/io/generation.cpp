#include "distill/generation.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "distill/errors.h"
#include "io/checkpoint.h"
#include "io/hf_import.h"
#include "models/sampling.h"
#include "util/paths.h"

namespace distill {

namespace fs = std::filesystem;

struct TextGenerator::Impl {
  LoadedModel loaded;
  bool hasTokenizer = true;

  const Tokenizer& tokenizer() const {
    if (!hasTokenizer)
      throw EngineError(loaded.info.modelName + " has no tokenizer files: give token ids instead of text");
    return loaded.info.tokenizer;
  }
};

std::unique_ptr<TextGenerator::Impl> TextGenerator::load(const std::string& path) {
  auto impl = std::make_unique<TextGenerator::Impl>();
  if (!isHuggingFaceFolder(path)) {
    impl->loaded = loadCheckpoint(path);
    return impl;
  }
  auto imported = importHuggingFaceModel(path);
  impl->loaded.model = imported.model;
  impl->loaded.info.modelName = path;
  impl->loaded.info.spec = imported.model->spec();
  impl->loaded.info.vocabSize = imported.model->vocabSize();
  impl->loaded.info.blockSize = imported.contextLength;
  impl->hasTokenizer = Tokenizer::folderHasTokenizer(path);
  if (impl->hasTokenizer) impl->loaded.info.tokenizer = Tokenizer::load(path);
  return impl;
}

TextGenerator::TextGenerator(const std::string& modelPath) : m_impl(load(modelPath)) {}

TextGenerator::~TextGenerator() = default;

GenerationResult TextGenerator::generate(const std::string& prompt, const SamplingOptions& options) {
  const auto& tokenizer = m_impl->tokenizer();
  const auto promptIds = tokenizer.encode(prompt);
  const auto begin = std::chrono::steady_clock::now();
  const auto ids = distill::generateIds(*m_impl->loaded.model, promptIds, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  GenerationResult result;
  result.text = tokenizer.decode(ids);
  result.ids.assign(ids.begin(), ids.end());
  result.tokensPerSecond = seconds > 0.0 ? static_cast<double>(ids.size()) / seconds : 0.0;
  return result;
}

std::vector<TokenScore> TextGenerator::score(const std::string& prompt, const std::string& continuation,
                                             int topK) {
  const auto& tokenizer = m_impl->tokenizer();
  auto& model = *m_impl->loaded.model;
  const auto ids = tokenizer.encode(continuation);
  torch::NoGradGuard noGrad;
  model.eval();
  IncrementalDecoder decoder(model, tokenizer.encode(prompt));
  std::vector<TokenScore> scores;
  scores.reserve(ids.size());
  for (const int64_t id : ids) {
    const auto logProbs = torch::log_softmax(decoder.nextLogits(), 0);  // (V,)
    TokenScore s;
    s.text = tokenizer.decodeOne(id);
    s.logProb = logProbs[id].item<double>();
    const auto top = logProbs.topk(std::min<int64_t>(topK, logProbs.size(0)));
    const auto values = std::get<0>(top), indices = std::get<1>(top);
    for (int64_t k = 0; k < values.size(0); ++k)
      s.alternatives.emplace_back(tokenizer.decodeOne(indices[k].item<int64_t>()), values[k].item<double>());
    scores.push_back(std::move(s));
    decoder.feed(id);
  }
  return scores;
}

std::vector<long long> TextGenerator::generateIds(const std::vector<long long>& prompt,
                                                  const SamplingOptions& options) {
  auto& model = *m_impl->loaded.model;
  for (const auto id : prompt)
    if (id < 0 || id >= model.vocabSize())
      throw EngineError("token id " + std::to_string(id) + " is outside the model's vocabulary of " +
                        std::to_string(model.vocabSize()));
  const auto ids = distill::generateIds(model, std::vector<int64_t>(prompt.begin(), prompt.end()), options);
  return std::vector<long long>(ids.begin(), ids.end());
}

std::vector<std::vector<float>> TextGenerator::logits(const std::vector<long long>& ids) {
  auto& model = *m_impl->loaded.model;
  if (ids.empty()) throw EngineError("no token ids");
  for (const auto id : ids)
    if (id < 0 || id >= model.vocabSize())
      throw EngineError("token id " + std::to_string(id) + " is outside the model's vocabulary of " +
                        std::to_string(model.vocabSize()));
  if (model.contextLimit() > 0 && static_cast<int64_t>(ids.size()) > model.contextLimit())
    throw EngineError(std::to_string(ids.size()) + " ids exceed the model's context of " +
                      std::to_string(model.contextLimit()));
  torch::NoGradGuard noGrad;
  model.eval();
  const auto out =
      model
          .forward(torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kInt64).unsqueeze(0))[0]
          .contiguous();
  std::vector<std::vector<float>> rows(static_cast<size_t>(out.size(0)));
  for (int64_t t = 0; t < out.size(0); ++t) {
    const float* row = out[t].data_ptr<float>();
    rows[static_cast<size_t>(t)].assign(row, row + out.size(1));
  }
  return rows;
}

bool TextGenerator::hasTokenizer() const { return m_impl->hasTokenizer; }

std::string TextGenerator::modelName() const { return m_impl->loaded.info.modelName; }

long long TextGenerator::parameterCount() const { return m_impl->loaded.model->parameterCount(); }

std::string checkpointPathFor(const std::string& runDir, const std::string& modelName, int repeat) {
  const fs::path own = fs::path(checkpointFolderFor(runDir, repeat)) / (modelName + ".pt");
  std::error_code ec;
  if (repeat > 1 && isTeacherName(modelName) && !fs::exists(own, ec))
    return checkpointPathFor(runDir, modelName, 1);  // trained once, shared by every repeat
  return own.string();
}

int repeatsInRun(const std::string& runDir) {
  int repeats = 1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(runDir) / "checkpoints", ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && name.rfind("repeat-", 0) == 0)
      repeats = std::max(repeats, std::atoi(name.c_str() + 7));
  }
  return repeats;
}

std::vector<std::string> modelsInRun(const std::string& runDir, int repeat) {
  std::vector<std::string> names;
  std::error_code ec;
  auto listFolder = [&](int folderRepeat, bool teachersOnly) {
    for (const auto& entry : fs::directory_iterator(checkpointFolderFor(runDir, folderRepeat), ec)) {
      const std::string name = entry.path().stem().string();
      if (entry.path().extension() != ".pt" || (teachersOnly && !isTeacherName(name))) continue;
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  };
  listFolder(repeat, false);
  if (repeat > 1) listFolder(1, true);  // teachers trained once are shared by every repeat
  std::sort(names.begin(), names.end());
  // The run's own order: the teachers, then each student as its experiment lists them, distilled
  // before its scratch twin. Names the experiment does not list follow alphabetically.
  std::vector<std::string> order = {"teacher"};
  try {
    const YAML::Node config = YAML::LoadFile((fs::path(runDir) / "config.yaml").string());
    for (const auto& teacher : config["teachers"])
      order.push_back("teacher-" + teacher["name"].as<std::string>(""));
    for (const auto& student : config["students"]) {
      const auto name = student["name"].as<std::string>("");
      order.push_back(name + "-kd");
      order.push_back(name + "-scratch");
    }
  } catch (const std::exception&) {
    // No readable config.yaml: the teachers first, the rest alphabetically.
  }
  auto rank = [&](const std::string& name) {
    const auto at = static_cast<size_t>(std::find(order.begin(), order.end(), name) - order.begin());
    return at == order.size() && isTeacherName(name) ? 0 : at;
  };
  std::stable_sort(names.begin(), names.end(),
                   [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  return names;
}

const char* teacherColor(size_t index) {
  static const char* const kTeacherColors[] = {"#282830", "#78481e", "#464696", "#1e6446"};
  return kTeacherColors[index % 4];
}

std::string firstTeacherOf(const std::vector<std::string>& models) {
  for (const auto& name : models)
    if (isTeacherName(name)) return name;
  return {};
}

}  // namespace distill
