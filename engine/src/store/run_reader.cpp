#include "distill/run_reader.h"

#include <nlohmann/json.hpp>

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "distill/errors.h"
#include "store/model_summary_json.h"
#include "store/resume_point.h"
#include "store/run_folder_lock.h"

namespace distill {

namespace fs = std::filesystem;

namespace {

template <class Json>
double numberOr(const Json& j, const char* key, double fallback) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->template get<double>() : fallback;
}

std::string modifiedTime(const fs::path& path) {
  std::error_code ec;
  const auto written = fs::last_write_time(path, ec);
  if (ec) return {};
  const auto system = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      written - fs::file_time_type::clock::now() + std::chrono::system_clock::now());
  const std::time_t t = std::chrono::system_clock::to_time_t(system);
  std::tm local{};
  localtime_r(&t, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &local);
  return text;
}

/// Calls `visit` for every whole JSON object line among the first `limit` bytes.
template <class Visit>
void forEachJsonLine(const fs::path& path, uint64_t limit, Visit visit) {
  std::ifstream in(path);
  uint64_t consumed = 0;
  for (std::string line; consumed < limit && std::getline(in, line);) {
    consumed += line.size() + 1;
    if (consumed > limit) break;  // a line beyond the limit

    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) continue;  // a line torn by a crash
    visit(j);
  }
}

/// Bytes of every file below `root` (stat only; unreadable entries count as 0).
long long folderBytes(const fs::path& root) {
  long long total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code sizeError;
    if (it->is_regular_file(sizeError)) {
      const auto size = it->file_size(sizeError);
      if (!sizeError) total += static_cast<long long>(size);
    }
  }
  return total;
}

/// "running" while the process named in running.pid lives, "crashed" when it died without
/// removing the file, empty when there is none (the run ended, or was written before it existed).
std::string processState(const fs::path& root) {
  if (!fs::exists(root / "running.pid")) return {};
  // The writer's lock is the truth (a PID can be reused); runs from before run.lock fall back to the PID.
  if (fs::exists(root / "run.lock")) return RunFolderLock::isHeld(root.string()) ? "running" : "crashed";
  std::ifstream in(root / "running.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return {};
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM ? "running" : "crashed";
}

}  // namespace

RunRecord readRunSummary(const std::string& dir) {
  const fs::path root(dir);
  if (!fs::exists(root / "config.yaml")) throw EngineError("not a run directory (no config.yaml): " + dir);
  RunRecord run;
  run.dir = dir;
  run.experiment = root.filename().string();
  // A live or dead process outranks the summary: a resumed run has its old summary until it ends.
  const std::string process = processState(root);
  run.status = process.empty() ? "running" : process;
  const auto summaryPath = root / "summary.json";
  run.modified = modifiedTime(fs::exists(summaryPath) ? summaryPath : root / "config.yaml");
  run.notes = readRunNotes(dir);
  run.provenance = readProvenance(dir);
  if (fs::exists(root.parent_path().parent_path() / "sweep.json"))
    run.sweep = root.parent_path().parent_path().string();
  if (!fs::exists(summaryPath)) return run;
  std::ifstream in(summaryPath);
  // Ordered: the models in the order the run wrote them (the experiment's).
  const auto j = nlohmann::ordered_json::parse(in, nullptr, false);
  if (j.is_discarded()) throw EngineError("summary.json is not valid JSON in " + dir);
  run.experiment = j.value("experiment", run.experiment);
  run.status = process.empty() ? j.value("status", std::string("unknown")) : process;
  const auto models = j.value("models", nlohmann::ordered_json::object());
  for (const auto& [name, m] : models.items()) {
    // An unknown role (a summary from elsewhere) pairs with nothing and is shown as a plain model.
    run.models.push_back(modelSummaryFromJson(name, m));
  }
  // The teacher first, then each student's distilled model beside its scratch twin.
  std::stable_sort(run.models.begin(), run.models.end(), [](const ModelSummary& a, const ModelSummary& b) {
    return (a.role == ModelRole::Teacher) > (b.role == ModelRole::Teacher);
  });
  return run;
}

std::optional<ResumeInfo> findResumePoint(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(fs::path(dir) / "summary.json", ec)) {
    try {
      if (readRunSummary(dir).status == "completed") return std::nullopt;
    } catch (const std::exception&) {
      // A damaged summary does not make the checkpoints less resumable.
    }
  }
  const auto point = newestIntactResumePoint(dir);
  if (!point) return std::nullopt;
  ResumeInfo info;
  info.phase = phaseName(point->phase);
  info.step = point->step;
  info.totalSteps = point->state.value("total_steps", 0);
  info.repeat = point->state.value("repeat", 1);
  info.metricsBytes = point->state.value("metrics_bytes", uint64_t{0});
  info.samplesBytes = point->state.value("samples_bytes", uint64_t{0});
  info.configYaml = point->state.value("config", std::string());
  return info;
}

std::vector<RunRecord> listRuns(const std::string& root) {
  std::vector<RunRecord> runs;
  std::error_code ec;
  auto add = [&](const fs::path& dir) {
    try {
      runs.push_back(readRunSummary(dir.string()));
      runs.back().diskBytes = folderBytes(dir);  // a listing shows it; a status check needs none
    } catch (const std::exception&) {
      // Not a run, or a damaged one: the panel lists what it can read.
    }
  };
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory()) continue;
    if (!fs::exists(entry.path() / "sweep.json")) {
      add(entry.path());
      continue;
    }
    for (const char* group : {"teachers", "trials"}) {  // a sweep: its runs, one level down
      std::error_code inner;
      for (const auto& run : fs::directory_iterator(entry.path() / group, inner))
        if (run.is_directory()) add(run.path());
    }
  }
  std::sort(runs.begin(), runs.end(), [](const RunRecord& a, const RunRecord& b) {
    return a.modified != b.modified ? a.modified > b.modified : a.dir > b.dir;
  });
  return runs;
}

std::vector<MetricPoint> readMetrics(const std::string& dir, uint64_t limit) {
  std::vector<MetricPoint> points;
  forEachJsonLine(fs::path(dir) / "metrics.jsonl", limit, [&](const nlohmann::json& j) {
    points.push_back({j.value("model", std::string()), j.value("step", 0), numberOr(j, "wall_s", 0.0),
                      j.value("name", std::string()), numberOr(j, "value", NAN), j.value("repeat", 0)});
  });
  return points;
}

std::vector<SampleRecord> readSamples(const std::string& dir, uint64_t limit) {
  std::vector<SampleRecord> samples;
  forEachJsonLine(fs::path(dir) / "samples.jsonl", limit, [&](const nlohmann::json& j) {
    samples.push_back({j.value("model", std::string()), j.value("step", 0), j.value("prompt", std::string()),
                       j.value("text", std::string()), j.value("repeat", 0)});
  });
  return samples;
}

std::vector<HeldOutAnswers> readHeldOutAnswers(const std::string& dir) {
  std::vector<HeldOutAnswers> out;
  forEachJsonLine(fs::path(dir) / "responses.jsonl", UINT64_MAX, [&](const nlohmann::json& j) {
    HeldOutAnswers row{j.value("prompt", std::string()), j.value("reference", std::string()), {}};
    if (const auto it = j.find("answers"); it != j.end() && it->is_array())
      for (const auto& a : *it)
        if (a.is_object())
          row.answers.emplace_back(a.value("model", std::string()), a.value("answer", std::string()));
    out.push_back(std::move(row));
  });
  return out;
}

}  // namespace distill
