#include "kd/teacher_responses.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <sstream>

#include "distill/errors.h"
#include "kd/response_rollouts.h"
#include "models/sampling.h"
#include "util/paths.h"
#include "util/sha256.h"

namespace distill {

namespace {

constexpr size_t kResponseChunk = 256;  // prompts of one length decoded together
constexpr const char* kSettingsKind = "distill teacher responses";

}  // namespace

std::string weightsDigest(LanguageModelImpl& model) {
  std::string bytes;
  for (const auto& item : model.named_parameters()) {
    const auto values = item.value().detach().to(torch::kCPU, torch::kFloat32).contiguous();
    bytes += item.key() + " " + std::to_string(values.numel()) + "\n";
    bytes.append(static_cast<const char*>(values.data_ptr()), static_cast<size_t>(values.nbytes()));
  }
  return sha256OfText(bytes);
}

bool TeacherResponsesHeader::operator==(const TeacherResponsesHeader& o) const {
  return corpusDigest == o.corpusDigest && teacherDigest == o.teacherDigest && vocabSize == o.vocabSize &&
         rowLength == o.rowLength && count == o.count && topK == o.topK && temperature == o.temperature &&
         seed == o.seed;
}

std::vector<Example> generateTeacherResponses(LanguageModelImpl& teacher, const Tokenizer& tokenizer,
                                              const std::vector<Example>& trainExamples,
                                              const std::string& responseEnd,
                                              const TeacherResponsesHeader& header, int64_t* unfinished,
                                              const std::function<bool(int64_t, int64_t)>& keepGoing) {
  std::vector<size_t> order(trainExamples.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::shuffle(order.begin(), order.end(), std::mt19937_64(header.seed));
  order.resize(static_cast<size_t>(std::min<int64_t>(header.count, static_cast<int64_t>(order.size()))));

  const auto endTokens = static_cast<int64_t>(tokenizer.encode(responseEnd).size());
  std::vector<std::vector<int64_t>> prompts;
  std::vector<int64_t> caps;  // each answer's room: twice its reference and the end marker
  for (const auto k : order) {
    prompts.push_back(tokenizer.encode(trainExamples[k].prompt));
    const auto reference = static_cast<int64_t>(tokenizer.encode(trainExamples[k].response).size());
    caps.push_back(
        std::min(header.rowLength - static_cast<int64_t>(prompts.back().size()), 2 * reference + endTokens));
  }
  auto generator = makeSamplingGenerator(header.seed + 1);
  const auto rows = continuePrompts(teacher, prompts, caps, kResponseChunk, header.temperature,
                                    static_cast<int>(header.topK), generator, keepGoing);
  if (rows.empty() && !order.empty()) return {};  // stopped
  if (unfinished) *unfinished = 0;
  std::vector<Example> kept;
  for (size_t k = 0; k < order.size(); ++k) {
    if (rows[k].empty()) continue;  // no room for an answer: such a prompt is a bad record
    const auto P = static_cast<int64_t>(prompts[k].size());
    const std::vector<int64_t> answer(rows[k].begin() + P, rows[k].begin() + P + caps[k]);
    auto text = tokenizer.decode(answer);
    const auto cut = text.find(responseEnd);
    if (cut != std::string::npos) {
      text.resize(cut);
    } else if (unfinished) {
      ++*unfinished;
    }
    kept.push_back(trainExamples[order[k]]);
    kept.back().response = std::move(text);
  }
  return kept;
}

std::string teacherResponsesSettingsPath(const std::string& path) {
  const std::string suffix = ".jsonl";
  const bool jsonl =
      path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  return (jsonl ? path.substr(0, path.size() - suffix.size()) : path) + ".settings.json";
}

void saveTeacherResponses(const std::string& path, const TeacherResponsesHeader& header,
                          const std::vector<Example>& responses) {
  std::string lines;
  for (const auto& r : responses)
    lines += nlohmann::json{{"prompt", r.prompt}, {"response", r.response}}.dump() + "\n";
  const nlohmann::json settings = {{"kind", kSettingsKind},
                                   {"version", 1},
                                   {"corpus_sha256", header.corpusDigest},
                                   {"teacher_sha256", header.teacherDigest},
                                   {"vocab_size", header.vocabSize},
                                   {"row_length", header.rowLength},
                                   {"count", header.count},
                                   {"top_k", header.topK},
                                   {"temperature", header.temperature},
                                   {"seed", header.seed}};
  writeFileAtomically(path, lines);
  writeFileAtomically(teacherResponsesSettingsPath(path), settings.dump(2) + "\n");
}

std::vector<Example> loadTeacherResponses(const std::string& path, TeacherResponsesHeader* header) {
  const std::string settingsPath = teacherResponsesSettingsPath(path);
  nlohmann::json settings;
  try {
    settings = nlohmann::json::parse(readFile(settingsPath, "teacher responses' settings"));
    if (settings.value("kind", "") != kSettingsKind)
      throw EngineError(settingsPath + ": not the settings of a teacher response set (kind \"" +
                        settings.value("kind", "") + "\")");
    if (header) {
      header->corpusDigest = settings.at("corpus_sha256").get<std::string>();
      header->teacherDigest = settings.at("teacher_sha256").get<std::string>();
      header->vocabSize = settings.at("vocab_size").get<int64_t>();
      header->rowLength = settings.at("row_length").get<int64_t>();
      header->count = settings.at("count").get<int64_t>();
      header->topK = settings.at("top_k").get<int64_t>();
      header->temperature = settings.at("temperature").get<double>();
      header->seed = settings.at("seed").get<uint64_t>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw EngineError(settingsPath + ": " + e.what());
  }
  // Read here rather than by readExamples: a teacher may answer with nothing, a valid answer.
  std::istringstream lines(readFile(path, "teacher responses"));
  std::vector<Example> responses;
  std::string line;
  for (int64_t number = 1; std::getline(lines, line); ++number) {
    if (line.empty()) continue;
    Example e;
    e.where = path + ":" + std::to_string(number);
    try {
      const auto record = nlohmann::json::parse(line);
      e.prompt = record.at("prompt").get<std::string>();
      e.response = record.at("response").get<std::string>();
    } catch (const nlohmann::json::exception& error) {
      throw EngineError(e.where + ": not a {\"prompt\", \"response\"} record (" + error.what() + ")");
    }
    responses.push_back(std::move(e));
  }
  return responses;
}

}  // namespace distill
