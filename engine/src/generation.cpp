#include "distill/generation.h"

#include <chrono>
#include <filesystem>

#include "checkpoint.h"
#include "distill/errors.h"
#include "sampling.h"

namespace distill {

namespace fs = std::filesystem;

struct TextGenerator::Impl {
  LoadedModel loaded;
};

TextGenerator::TextGenerator(const std::string& checkpointPath)
    : m_impl(std::make_unique<Impl>(Impl{loadCheckpoint(checkpointPath)})) {}

TextGenerator::~TextGenerator() = default;

GenerationResult TextGenerator::generate(const std::string& prompt, const SamplingOptions& options) {
  const auto& tokenizer = m_impl->loaded.info.tokenizer;
  const auto promptIds = tokenizer.encode(prompt);
  const auto begin = std::chrono::steady_clock::now();
  const auto ids = generateIds(*m_impl->loaded.model, promptIds, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  GenerationResult result;
  result.text = tokenizer.decode(ids);
  result.ids.assign(ids.begin(), ids.end());
  result.tokensPerSecond = seconds > 0.0 ? static_cast<double>(ids.size()) / seconds : 0.0;
  return result;
}

std::vector<TokenScore> TextGenerator::score(const std::string& prompt, const std::string& continuation, int topK) {
  const auto& tokenizer = m_impl->loaded.info.tokenizer;
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

std::string TextGenerator::modelName() const { return m_impl->loaded.info.modelName; }

long long TextGenerator::parameterCount() const { return m_impl->loaded.model->parameterCount(); }

std::string checkpointPathFor(const std::string& runDir, const std::string& modelName) {
  return (fs::path(runDir) / "checkpoints" / (modelName + ".pt")).string();
}

std::vector<std::string> modelsInRun(const std::string& runDir) {
  std::vector<std::string> names;
  const auto dir = fs::path(runDir) / "checkpoints";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".pt") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace distill
