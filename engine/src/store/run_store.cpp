#include "store/run_store.h"

#include "store/model_summary_json.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>

#include "distill/build_info.h"
#include "distill/errors.h"
#include "distill/twin_comparison.h"
#include "store/provenance.h"
#include "store/run_folder_lock.h"
#include "store/tensorboard_events.h"
#include "util/paths.h"

namespace distill {

namespace fs = std::filesystem;

namespace {

/// JSON has no NaN/Inf: write them as null so every line stays parseable.
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

/// Truncates a JSONL file to `length` bytes (the file may be missing when nothing was written).
void cutBack(const std::string& path, uint64_t length) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) {
    if (length == 0) return;
    throw EngineError("cannot resume: " + path + " is missing (" + ec.message() + ")");
  }
  if (size < length)
    throw EngineError("cannot resume: " + path + " is shorter (" + std::to_string(size) +
                      " bytes) than at its checkpoint (" + std::to_string(length) + " bytes)");
  fs::resize_file(path, length, ec);
  if (ec) throw EngineError("cannot resume: cannot cut back " + path + ": " + ec.message());
}

}  // namespace

RunStore::Lengths RunStore::lengths() const {
  std::error_code ec;
  Lengths out;
  const auto metrics = fs::file_size(fs::path(m_dir) / "metrics.jsonl", ec);
  out.metrics = ec ? 0 : metrics;
  const auto samples = fs::file_size(fs::path(m_dir) / "samples.jsonl", ec);
  out.samples = ec ? 0 : samples;
  return out;
}

RunStore::RunStore(std::string dir, const Lengths* resumeAt, std::shared_ptr<RunFolderLock> heldLock)
    : m_dir(std::move(dir)), m_lock(std::move(heldLock)) {
  std::error_code ec;
  fs::create_directories(fs::path(m_dir) / "checkpoints", ec);
  if (ec) throw EngineError("cannot create run directory " + m_dir + ": " + ec.message());
  // Before anything is cut back or appended: one writer per run folder.
  if (!m_lock) m_lock = std::make_shared<RunFolderLock>(m_dir);
  const auto metricsPath = (fs::path(m_dir) / "metrics.jsonl").string();
  const auto samplesPath = (fs::path(m_dir) / "samples.jsonl").string();
  if (resumeAt) {
    cutBack(metricsPath, resumeAt->metrics);
    cutBack(samplesPath, resumeAt->samples);
  }
  m_metrics.open(metricsPath, std::ios::app);
  if (!m_metrics) throw EngineError("cannot write " + metricsPath + " (read-only or full disk?)");
  m_samples.open(samplesPath, std::ios::app);
  if (!m_samples) throw EngineError("cannot write " + samplesPath + " (read-only or full disk?)");
  // Left behind only by a process that died mid-run: the runs list then says "crashed".
  writeFileAtomically((fs::path(m_dir) / "running.pid").string(), std::to_string(::getpid()) + "\n");
}

RunStore::~RunStore() {
  std::error_code ec;
  fs::remove(fs::path(m_dir) / "running.pid", ec);
}

std::string RunStore::newRunDirectory(const std::string& root, const std::string& name) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
  std::string base = (fs::path(root) / (name + "-" + stamp)).string();
  std::string candidate = base;
  for (int i = 2; fs::exists(candidate); ++i) candidate = base + "-" + std::to_string(i);
  return candidate;
}

std::string RunStore::checkpointPath(const std::string& model, int repeat) const {
  const std::string folder = checkpointFolderFor(m_dir, repeat);
  fs::create_directories(folder);
  return fileInside(folder, model + ".pt");
}

void RunStore::writeRepeatOutcomes(const std::map<std::string, std::vector<RepeatOutcome>>& outcomes) {
  nlohmann::ordered_json j = {{"models", nlohmann::ordered_json::object()}};
  for (const auto& [model, list] : outcomes) {
    auto& entries = j["models"][model] = nlohmann::ordered_json::array();
    for (const auto& o : list) entries.push_back(repeatOutcomeJson(o));
  }
  writeFileAtomically((fs::path(m_dir) / "repeats.json").string(), j.dump(2) + "\n");
}

std::map<std::string, std::vector<RepeatOutcome>> RunStore::readRepeatOutcomes(int before) const {
  std::map<std::string, std::vector<RepeatOutcome>> outcomes;
  const fs::path path = fs::path(m_dir) / "repeats.json";
  if (!fs::exists(path)) return outcomes;
  const auto j = nlohmann::ordered_json::parse(readFile(path.string(), "the repeats record"));
  for (const auto& [model, list] : j.at("models").items())
    for (const auto& entry : list) {
      const RepeatOutcome o = repeatOutcomeFromJson(entry);
      if (o.repeat < before) outcomes[model].push_back(o);
    }
  return outcomes;
}

void RunStore::writeConfig(const std::string& yaml) {
  writeFileAtomically((fs::path(m_dir) / "config.yaml").string(), yaml);
}

void RunStore::writeProvenance(const nlohmann::ordered_json& facts, bool resumed) {
  const fs::path path = fs::path(m_dir) / "run.json";
  m_provenance = facts;
  if (resumed && fs::exists(path)) {
    // The run keeps where it began; each resume adds when and by which command.
    auto before = nlohmann::ordered_json::parse(readFile(path.string(), "run.json"), nullptr, false);
    if (!before.is_discarded() && before.is_object()) {
      before["status"] = "running";
      before["ended"] = nullptr;
      before["resumes"].push_back(
          {{"at", facts.value("started", "")}, {"command_line", facts.value("command_line", "")}});
      m_provenance = before;
    }
  }
  writeFileAtomically(path.string(), m_provenance.dump(2) + "\n");
  // The event file follows the run from here; a resumed run's is rebuilt from the cut JSONL files.
  m_tensorBoard = TensorBoardLog::rewrite(m_dir);
}

void RunStore::writeWorldSize(int worldSize) {
  m_worldSize = worldSize;
  const nlohmann::json j = {{"world_size", worldSize}, {"backend", worldSize > 1 ? "gloo" : "none"}};
  writeFileAtomically((fs::path(m_dir) / "distributed.json").string(), j.dump(2) + "\n");
}

void RunStore::appendLine(std::ofstream& file, const std::string& path, const std::string& line) {
  file << line << '\n';
  file.flush();
  if (!file) throw EngineError("cannot append to " + m_dir + "/" + path + " (disk full?)");
}

void RunStore::appendMetrics(const std::vector<MetricPoint>& points) {
  // One write for the whole batch of lines: a crash cuts at most the end of the last one.
  std::string lines;
  for (const auto& p : points) {
    nlohmann::json j = {{"model", p.model},
                        {"step", p.step},
                        {"wall_s", number(p.wallSeconds)},
                        {"name", p.name},
                        {"value", number(p.value)}};
    if (p.repeat > 0) j["repeat"] = p.repeat;
    lines += j.dump();
    lines += '\n';
  }
  m_metrics.write(lines.data(), static_cast<std::streamsize>(lines.size()));
  m_metrics.flush();
  if (!m_metrics) throw EngineError("cannot append to " + m_dir + "/metrics.jsonl (disk full?)");
  if (m_tensorBoard) m_tensorBoard->scalars(points);
}

void RunStore::appendSample(const SampleRecord& s) {
  nlohmann::json j = {{"model", s.model}, {"step", s.step}, {"prompt", s.prompt}, {"text", s.text}};
  if (s.repeat > 0) j["repeat"] = s.repeat;
  if (m_tensorBoard) m_tensorBoard->text(s);
  appendLine(m_samples, "samples.jsonl", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void RunStore::writeResponses(const std::vector<std::string>& prompts,
                              const std::vector<std::string>& references,
                              const std::vector<std::pair<std::string, std::vector<std::string>>>& answers) {
  std::string lines;
  for (size_t i = 0; i < prompts.size(); ++i) {
    nlohmann::ordered_json j = {{"prompt", prompts[i]}, {"reference", references[i]}};
    j["answers"] = nlohmann::ordered_json::array();  // a list: the run's model order survives any reader
    for (const auto& [model, texts] : answers)
      if (i < texts.size()) j["answers"].push_back({{"model", model}, {"answer", texts[i]}});
    lines += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  writeFileAtomically((fs::path(m_dir) / "responses.jsonl").string(), lines);
}

void RunStore::writeMethodsTable(const std::vector<ModelSummary>& models) {
  const bool answered = std::any_of(models.begin(), models.end(),
                                    [](const ModelSummary& m) { return m.responses.examples > 0; });
  std::string csv = "method,val_loss,perplexity,agreement,train_tokens_per_s,bits_per_char";
  csv += answered ? ",exact_match,rouge_l\n" : "\n";
  // Not measured (an untrained student): an empty cell, never a number.
  auto cell = [](double v, const char* format) {
    char text[64] = "";
    if (std::isfinite(v)) std::snprintf(text, sizeof text, format, v);
    return std::string(text);
  };
  for (const auto& m : models) {
    if (m.role == ModelRole::Teacher) continue;
    const std::string method = m.role == ModelRole::Distilled ? m.name.substr(0, m.name.size() - 3) : m.name;
    csv += method + "," + cell(m.valLoss, "%.6f") + "," + cell(m.valPerplexity, "%.6f") + "," +
           cell(m.agreement, "%.6f") + "," + cell(m.trainTokensPerSecond, "%.1f") + "," +
           cell(m.valBitsPerChar, "%.6f");
    if (answered) csv += "," + cell(m.responses.exactMatch, "%.6f") + "," + cell(m.responses.rougeL, "%.6f");
    csv += "\n";
  }
  writeFileAtomically((fs::path(m_dir) / "methods.csv").string(), csv);
}

void RunStore::writeSummary(const std::string& experiment, const std::string& status,
                            const std::string& error, const std::vector<ModelSummary>& models) {
  // Ordered: models stay in the run's order (teacher, then each student's distilled model and its
  // scratch twin), as the experiment lists them.
  nlohmann::ordered_json j;
  j["experiment"] = experiment;
  j["status"] = status;
  if (!error.empty()) j["error"] = error;
  j["world_size"] = m_worldSize;
  if (m_compute)
    j["compute"] = {{"device", m_compute->device},
                    {"precision", m_compute->precision},
                    {"peak_memory_bytes", m_compute->peakMemoryBytes},
                    {"peak_memory_of", m_compute->peakMemoryOf}};
  // The same facts as `distill --version`: which build wrote these numbers.
  j["build"] = {{"version", projectVersion()},
                {"libtorch", libtorchVersion()},
                {"libtorch_source", libtorchSource()},
                {"build_type", buildType()}};
  j["models"] = nlohmann::ordered_json::object();
  for (const auto& m : models) {
    j["models"][m.name] = modelSummaryJson(m);
  }
  // Each distilled student against its scratch twin: the verdict every table shows, and over
  // repeats the paired difference (KD − scratch by seed) with its 95 % Student-t interval.
  j["twins"] = nlohmann::ordered_json::array();
  for (const auto& pair : twinPairs(models)) {
    nlohmann::ordered_json twin = {{"student", pair.student},
                                   {"delta", number(pair.comparison.delta)},
                                   {"gap_recovered", number(pair.comparison.gapRecovered)},
                                   {"verdict", twinVerdict(pair)}};
    if (pair.paired.pairs >= 2)
      twin["paired"] = {{"pairs", pair.paired.pairs},     {"mean", number(pair.paired.mean)},
                        {"sd", number(pair.paired.sd)},   {"confidence", 0.95},
                        {"low", number(pair.paired.low)}, {"high", number(pair.paired.high)}};
    j["twins"].push_back(twin);
  }
  writeFileAtomically((fs::path(m_dir) / "summary.json").string(), j.dump(2) + "\n");
  if (m_tensorBoard) m_tensorBoard->sessionEnd(status);
  if (m_provenance.is_object()) {
    m_provenance["ended"] = utcTimestamp();
    m_provenance["status"] = status;
    writeFileAtomically((fs::path(m_dir) / "run.json").string(), m_provenance.dump(2) + "\n");
  }
}

}  // namespace distill
