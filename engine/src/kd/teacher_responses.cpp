#include "kd/teacher_responses.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <sstream>

#include "distill/errors.h"
#include "models/sampling.h"
#include "util/paths.h"
#include "util/sha256.h"

namespace distill {

namespace {

constexpr int64_t kResponseChunk = 256;  // prompts of one length decoded together
constexpr const char* kSettingsKind = "distill teacher responses";

/// The answer in the first `cap` new tokens of `row` after its `promptLength` tokens: cut at the
/// end marker; `finished` says whether the marker was found.
std::string answerIn(const torch::Tensor& row, int64_t promptLength, int64_t cap, const Tokenizer& tokenizer,
                     const std::string& responseEnd, bool& finished) {
  const auto ids = row.slice(0, promptLength, promptLength + cap).to(torch::kCPU).contiguous();
  std::vector<int64_t> newIds(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
  auto text = tokenizer.decode(newIds);
  const auto end = text.find(responseEnd);
  finished = end != std::string::npos;
  if (finished) text.resize(end);
  return text;
}

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

  // Prompts grouped by token length, so each batch decodes rows of one prompt length.
  const auto endTokens = static_cast<int64_t>(tokenizer.encode(responseEnd).size());
  std::map<size_t, std::vector<size_t>> byLength;  // prompt tokens → positions in `order`
  std::vector<std::vector<int64_t>> prompts(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    prompts[k] = tokenizer.encode(trainExamples[order[k]].prompt);
    byLength[prompts[k].size()].push_back(k);
  }
  std::vector<Example> out(order.size());
  std::vector<bool> answered(order.size(), false);
  auto generator = makeSamplingGenerator(header.seed + 1);
  const auto device = deviceOf(teacher);
  int64_t done = 0, tokens = 0;
  if (unfinished) *unfinished = 0;
  for (const auto& [promptTokens, members] : byLength) {
    const auto P = static_cast<int64_t>(promptTokens);
    for (size_t begin = 0; begin < members.size(); begin += kResponseChunk) {
      if (keepGoing && !keepGoing(done, tokens)) return {};
      const size_t end = std::min(members.size(), begin + kResponseChunk);
      std::vector<int64_t> caps, flat;
      for (size_t m = begin; m < end; ++m) {
        const auto& example = trainExamples[order[members[m]]];
        const auto reference = static_cast<int64_t>(tokenizer.encode(example.response).size());
        caps.push_back(std::min(header.rowLength - P, 2 * reference + endTokens));
        flat.insert(flat.end(), prompts[members[m]].begin(), prompts[members[m]].end());
      }
      const int64_t longest = *std::max_element(caps.begin(), caps.end());
      done += static_cast<int64_t>(end - begin);
      if (P == 0 || longest <= 0) continue;  // no room for an answer: such a prompt is a bad record
      tokens += static_cast<int64_t>(end - begin) * longest;
      const auto prefix = torch::tensor(flat, torch::kInt64).view({-1, P}).to(device);
      const auto rows = sampleSequences(teacher, prefix, P + longest, header.temperature,
                                        static_cast<int>(header.topK), generator);
      for (size_t m = begin; m < end; ++m) {
        const size_t k = members[m];
        bool finished = false;
        out[k] = trainExamples[order[k]];
        out[k].response = answerIn(rows[static_cast<int64_t>(m - begin)], P, caps[m - begin], tokenizer,
                                   responseEnd, finished);
        answered[k] = true;
        if (!finished && unfinished) ++*unfinished;
      }
    }
  }
  if (keepGoing) keepGoing(done, tokens);
  std::vector<Example> kept;
  for (size_t k = 0; k < out.size(); ++k)
    if (answered[k]) kept.push_back(std::move(out[k]));
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
