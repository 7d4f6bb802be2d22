#include "sweep/sweep_runner.h"

#include "distill/model_info.h"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "distill/errors.h"
#include "distill/metric_names.h"
#include "distill/run_notes.h"
#include "distill/run_reader.h"
#include "sweep/search_space.h"
#include "sweep/shared_work.h"
#include "sweep/tpe.h"

namespace distill {

namespace {

namespace fs = std::filesystem;

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

/// The value `key` has in `config`, as the resolved config.yaml writes it (a student without its
/// own distill section has the global one's values).
std::string currentValue(const ExperimentConfig& config, const std::string& key) {
  YAML::Node node = YAML::Load(experimentToYaml(config));
  std::string path = key;
  const auto distill = path.find(".distill.");
  if (path.rfind("students.", 0) == 0 && distill != std::string::npos) {
    const size_t index = std::stoul(path.substr(9));
    if (index < config.students.size() && !config.students[index].distill) path = path.substr(distill + 1);
  }
  std::stringstream parts(path);
  for (std::string part; std::getline(parts, part, '.');) {
    YAML::Node child = node.IsSequence() ? node[std::stoul(part)] : node[part];
    node.reset(child);
    if (!node.IsDefined()) return "";
  }
  return node.IsScalar() ? node.Scalar() : "";
}

/// The global distillation section and every student's own.
std::vector<const DistillConfig*> distillSections(const ExperimentConfig& c) {
  std::vector<const DistillConfig*> sections = {&c.distill};
  for (const auto& s : c.students)
    if (s.distill) sections.push_back(&*s.distill);
  return sections;
}

std::string trialFolder(int id) {
  char name[32];
  std::snprintf(name, sizeof name, "trial-%03d", id);
  return name;
}

/// A trial's run, reported to the sweep.
class TrialObserver : public RunObserver {
public:
  TrialObserver(SweepRunner& runner, int id, RunControl& control)
      : m_runner(runner), m_id(id), m_control(control) {}
  void onRunDirectory(const std::string& path) override { m_runner.trialDirectory(m_id, path); }
  void onMetrics(const std::vector<MetricPoint>& points) override {
    m_runner.trialMetrics(m_id, points, m_control);
  }
  void onProgress(const ProgressInfo& progress) override { m_runner.trialProgress(m_id, progress); }

private:
  SweepRunner& m_runner;
  int m_id;
  RunControl& m_control;
};

class TeacherObserver : public RunObserver {
public:
  TeacherObserver(SweepObserver& observer, int id) : m_observer(observer), m_id(id) {}
  void onProgress(const ProgressInfo& progress) override { m_observer.onTeacherProgress(m_id, progress); }

private:
  SweepObserver& m_observer;
  int m_id;
};

}  // namespace

SweepRunner::SweepRunner(SweepState state, const SweepOptions& options, SweepObserver& observer,
                         SweepControl& control)
    : m_state(std::move(state)),
      m_options(options),
      m_observer(observer),
      m_control(control),
      m_rule(m_state.file.sweep.objective.minimize, m_state.file.sweep.minTrials,
             m_state.file.sweep.graceEvals) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  m_threadsPerTrial = std::max(1, cores / std::max(1, m_state.file.sweep.parallel));
}

SweepRunner::~SweepRunner() {
  for (auto& t : m_threads)
    if (t.joinable()) t.join();
}

std::string SweepRunner::liveMetric() const {
  const auto& metric = m_state.file.sweep.objective.metric;
  if (metric == "agreement") return metric::kValAgreement;
  if (metric == "kl_from_teacher") return metric::kValKlFromTeacher;
  if (metric == "bits_per_char") return metric::kValBitsPerChar;
  return metric::kValLoss;  // val_perplexity is exp(val/loss)
}

SweepTrial* SweepRunner::find(int id) {
  for (auto& t : m_state.trials)
    if (t.id == id) return &t;
  return nullptr;
}

void SweepRunner::save() {
  // The sweep's time so far is in every record: a killed sweep keeps what it had spent.
  m_state.wallSeconds = m_wallBefore + (now() - m_sessionStart);
  writeSweepRecord(m_state);
}

void SweepRunner::update(const SweepTrial& trial) {
  SweepTrial copy;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (SweepTrial* stored = find(trial.id)) *stored = trial;
    save();
    copy = trial;
  }
  m_observer.onTrial(copy);
}

std::vector<std::string> SweepRunner::valueOverrides(const SweepTrial& trial) const {
  auto overrides = m_state.file.overrides;
  if (m_state.file.sweep.repeats > 0)
    overrides.push_back("train.repeats=" + std::to_string(m_state.file.sweep.repeats));
  for (size_t i = 0; i < trial.values.size(); ++i)
    overrides.push_back(m_state.file.sweep.parameters[i].key + "=" + trial.values[i]);
  return overrides;
}

ExperimentConfig SweepRunner::parseTrial(const SweepTrial& trial,
                                         const std::vector<std::string>& overrides) const {
  auto parsed = parseExperiment(m_state.file.text, m_state.file.sourceDir, overrides, m_state.file.base.name);
  if (!parsed.ok())
    throw EngineError("trial " + std::to_string(trial.id) + ": " + parsed.problems.front().key + ": " +
                      parsed.problems.front().message);
  return parsed.config;
}

ExperimentConfig SweepRunner::settingsOf(const SweepTrial& trial) const {
  return parseTrial(trial, valueOverrides(trial));
}

void SweepRunner::replayCurves() {
  for (const auto& r : m_state.teacherRuns) m_teacherByKey[r.key] = r.id;
  for (const auto& t : m_state.trials) {
    if (t.baseline) m_exempt.insert(t.id);
    if (t.status == SweepTrial::Status::Pending || t.status == SweepTrial::Status::Failed) continue;
    const ExperimentConfig settings = settingsOf(t);
    for (size_t i = 0; i < settings.students.size(); ++i) {
      if (!settings.students[i].scratch_twin || t.scratchFrom.count(settings.students[i].name)) continue;
      if (m_scratchOwner.emplace(scratchKey(settings, i), t.id).second) m_exempt.insert(t.id);
    }
    if (t.runDir.empty() || !fs::exists(t.runDir + "/metrics.jsonl")) continue;
    for (const auto& p : readMetrics(t.runDir))
      if (p.model == m_state.file.sweep.objective.model && p.name == liveMetric())
        m_rule.report(t.id, p.step, m_repeatMeans.record(t.id, p.repeat, p.step, p.value), true);
  }
}

std::vector<std::string> SweepRunner::propose(int id) {
  const auto& sweep = m_state.file.sweep;
  if (sweep.baseline && id == 0) {
    std::vector<std::string> values;
    for (const auto& p : sweep.parameters) values.push_back(currentValue(m_state.file.base, p.key));
    return values;
  }
  const int index = id - (sweep.baseline ? 1 : 0);
  if (sweep.strategy == SweepStrategy::Grid) return gridPoint(sweep, index);
  auto rng = trialGenerator(sweep.seed, id);
  const auto space = dimensionsOf(sweep);
  if (sweep.strategy == SweepStrategy::Random) return valuesOf(sweep, uniformPoint(space, rng));
  std::vector<Observation> history;
  for (const auto& t : m_state.trials) {
    if ((t.status != SweepTrial::Status::Completed && t.status != SweepTrial::Status::Stopped) ||
        !std::isfinite(t.objective))
      continue;
    if (auto point = pointOf(sweep, t.values))
      history.push_back({*point, sweep.objective.minimize ? t.objective : -t.objective});
  }
  return valuesOf(sweep, suggestTpe(space, history, rng));
}

std::optional<SweepTrial> SweepRunner::nextTrial() {
  for (auto& t : m_state.trials)
    if (t.status == SweepTrial::Status::Pending) {  // interrupted in flight: resume it first
      t.status = SweepTrial::Status::Running;
      return t;
    }
  const int id = static_cast<int>(m_state.trials.size());
  if (id >= m_state.file.sweep.plannedTrials()) return std::nullopt;
  SweepTrial trial;
  trial.id = id;
  trial.baseline = m_state.file.sweep.baseline && id == 0;
  trial.values = propose(id);
  trial.status = SweepTrial::Status::Running;
  trial.runDir = (fs::path(m_state.dir) / "trials" / trialFolder(id)).string();
  m_state.trials.push_back(trial);
  if (trial.baseline) m_exempt.insert(id);
  return trial;
}

int SweepRunner::teacherRunFor(const ExperimentConfig& settings) {
  // A teacher retrained in every repeat belongs to its trial; so does an ensemble (one is shared).
  if (!m_state.reuseTeacher || settings.teacher.pretrained() || settings.train.repeat_teacher ||
      settings.ensemble())
    return -1;
  const std::string key = teacherKey(settings);
  std::unique_lock<std::mutex> lock(m_mutex);
  int id = -1;
  if (const auto it = m_teacherByKey.find(key); it != m_teacherByKey.end()) {
    id = it->second;
    m_changed.wait(lock, [&] { return !m_teachersTraining.count(id); });
    if (m_state.teacherRuns[id].done) return id;
  } else {
    id = static_cast<int>(m_state.teacherRuns.size());
    TeacherRun run;
    run.id = id;
    run.key = key;
    run.runDir = (fs::path(m_state.dir) / "teachers" / ("teacher-" + std::to_string(id))).string();
    m_state.teacherRuns.push_back(run);
    m_teacherByKey[key] = id;
    save();
  }
  m_teachersTraining.insert(id);
  const TeacherRun run = m_state.teacherRuns[id];
  lock.unlock();

  m_observer.onTeacherRun(run);
  auto control = m_control.attach(-1 - id);
  TeacherObserver observer(m_observer, id);
  RunOptions options = trialRunOptions(m_options);
  RunResult result;
  if (findResumePoint(run.runDir)) {
    result = resumeExperiment(run.runDir, options, observer, *control);
  } else {
    fs::remove_all(run.runDir);
    ExperimentConfig config = teacherOnly(settings);
    if (config.train.threads == 0) config.train.threads = m_threadsPerTrial;
    options.outDir = run.runDir;
    result = runExperiment(config, options, observer, *control);
  }
  m_control.detach(-1 - id);

  lock.lock();
  m_teachersTraining.erase(id);
  m_changed.notify_all();
  if (result.status != RunResult::Status::Completed)
    throw EngineError(
        "teacher run " + std::to_string(id) + " (" + run.runDir + ") " +
        (result.status == RunResult::Status::Cancelled ? "stopped" : "failed: " + result.error));
  m_state.teacherRuns[id].done = true;
  m_state.teacherRuns[id].checkpoint = (fs::path(run.runDir) / "checkpoints" / "teacher.pt").string();
  save();
  const TeacherRun done = m_state.teacherRuns[id];
  lock.unlock();
  m_observer.onTeacherRun(done);
  return id;
}

std::vector<std::string> SweepRunner::teacherDataToReuse(const ExperimentConfig& settings, int teacherRun) {
  if (teacherRun < 0) return {};
  bool cache = false, sequences = false;
  for (const DistillConfig* d : distillSections(settings)) {
    cache = cache || (d->cache_top_k > 0 && d->cache_path.empty());
    sequences = sequences || (d->regime == Regime::Sequence && d->sequence_path.empty());
  }
  // The newest finished trial of the same teacher that wrote one; the run checks that its header
  // matches these settings and builds its own otherwise.
  auto written = [&](const char* file) -> std::string {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (auto it = m_state.trials.rbegin(); it != m_state.trials.rend(); ++it)
      if (it->teacherRun == teacherRun && it->status == SweepTrial::Status::Completed &&
          fs::exists(fs::path(it->runDir) / file))
        return (fs::path(it->runDir) / file).string();
    return "";
  };
  std::vector<std::string> overrides;
  if (cache)
    if (const auto path = written("teacher_logits.cache"); !path.empty())
      overrides.push_back("distill.cache_path=" + path);
  if (sequences)
    if (const auto path = written("teacher_sequences.bin"); !path.empty())
      overrides.push_back("distill.sequence_path=" + path);
  return overrides;
}

ExperimentConfig SweepRunner::configFor(SweepTrial& trial) {
  auto overrides = valueOverrides(trial);
  const ExperimentConfig settings = parseTrial(trial, overrides);
  trial.teacherRun = teacherRunFor(settings);
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (trial.teacherRun >= 0) {
      auto& run = m_state.teacherRuns[trial.teacherRun];
      ++run.trials;
      overrides.push_back("teacher.checkpoint=" + run.checkpoint);
    }
    for (size_t i = 0; i < settings.students.size(); ++i) {
      const auto& student = settings.students[i];
      if (!student.scratch_twin) continue;
      const auto [owner, first] = m_scratchOwner.emplace(scratchKey(settings, i), trial.id);
      if (first || owner->second == trial.id) {
        m_exempt.insert(trial.id);  // others compare with this scratch twin: it must finish
      } else {
        trial.scratchFrom[student.name] = owner->second;
        overrides.push_back("students." + std::to_string(i) + ".scratch_twin=false");
      }
    }
  }
  for (const auto& reuse : teacherDataToReuse(settings, trial.teacherRun)) overrides.push_back(reuse);
  if (settings.train.threads == 0) overrides.push_back("train.threads=" + std::to_string(m_threadsPerTrial));
  return parseTrial(trial, overrides);
}

void SweepRunner::trialDirectory(int trialId, const std::string& dir) {
  std::lock_guard<std::mutex> lock(m_mutex);
  if (SweepTrial* t = find(trialId)) t->runDir = dir;
}

void SweepRunner::trialProgress(int trialId, const ProgressInfo& progress) {
  m_observer.onTrialProgress(trialId, progress);
}

void SweepRunner::trialMetrics(int trialId, const std::vector<MetricPoint>& points, RunControl& control) {
  const auto& objective = m_state.file.sweep.objective;
  for (const auto& p : points) {
    if (p.model != objective.model || p.name != liveMetric()) continue;
    std::lock_guard<std::mutex> lock(m_mutex);
    SweepTrial* t = find(trialId);
    if (!t) continue;
    const double value = m_repeatMeans.record(trialId, p.repeat, p.step, p.value);
    t->objective = objective.metric == "val_perplexity" ? std::exp(value) : value;
    t->objectiveStep = p.step;
    const std::string reason = m_rule.report(trialId, p.step, value, m_exempt.count(trialId) > 0);
    if (m_state.file.sweep.earlyStopping == EarlyStopping::Median && !reason.empty() &&
        !m_stopReasons.count(trialId)) {
      m_stopReasons[trialId] = reason;
      control.cancel();
    }
  }
  m_observer.onTrialMetrics(trialId, points);
}

void SweepRunner::finishTrial(SweepTrial& trial, const RunResult& result, double seconds) {
  std::string reason;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (const SweepTrial* live = find(trial.id)) {
      trial.objective = live->objective;
      trial.objectiveStep = live->objectiveStep;
      trial.runDir = live->runDir;
    }
    if (const auto it = m_stopReasons.find(trial.id); it != m_stopReasons.end()) reason = it->second;
  }
  trial.wallSeconds += seconds;
  if (!result.models.empty()) trial.models = result.models;
  switch (result.status) {
    case RunResult::Status::Completed:
      trial.status = SweepTrial::Status::Completed;
      trial.objective = objectiveOf(m_state.file.sweep.objective, result.models);
      break;
    case RunResult::Status::Failed:
      trial.status = SweepTrial::Status::Failed;
      trial.stopReason = result.error;
      break;
    case RunResult::Status::Cancelled:
      if (!reason.empty() || m_control.userStopped(trial.id)) {
        trial.status = SweepTrial::Status::Stopped;
        trial.stopReason = reason.empty() ? "stopped by the user" : reason;
        noteStop(trial);
      } else {
        trial.status = SweepTrial::Status::Pending;  // the sweep stopped: --resume continues it
      }
      break;
  }
}

void SweepRunner::noteStop(const SweepTrial& trial) {
  // The run folder says "cancelled"; its note says why, for whoever lists the runs.
  if (trial.runDir.empty() || !fs::is_directory(trial.runDir) || !readRunNotes(trial.runDir).empty()) return;
  try {
    writeRunNotes(trial.runDir,
                  {{"stopped early"}, "sweep trial " + std::to_string(trial.id) + ": " + trial.stopReason});
  } catch (const std::exception& e) {
    m_observer.onMessage("trial " + std::to_string(trial.id) + ": " + e.what());
  }
}

void SweepRunner::runTrial(SweepTrial trial) {
  const double start = now();
  RunResult result;
  auto control = m_control.attach(trial.id);
  try {
    TrialObserver observer(*this, trial.id, *control);
    RunOptions options = trialRunOptions(m_options);
    if (!trial.runDir.empty() && findResumePoint(trial.runDir)) {
      m_observer.onMessage("trial " + std::to_string(trial.id) + ": resuming " + trial.runDir);
      result = resumeExperiment(trial.runDir, options, observer, *control);
    } else {
      const ExperimentConfig config = configFor(trial);
      update(trial);
      fs::remove_all(trial.runDir);  // a trial killed before its first checkpoint starts again
      options.outDir = trial.runDir;
      result = runExperiment(config, options, observer, *control);
    }
  } catch (const std::exception& e) {
    result.status = RunResult::Status::Failed;
    result.error = e.what();
    if (trial.teacherRun < 0 && result.error.rfind("teacher run", 0) == 0 && !m_control.isStopped()) {
      // Every trial with these teacher settings would fail the same way: the sweep stops.
      std::lock_guard<std::mutex> lock(m_mutex);
      if (m_fatal.empty()) m_fatal = result.error;
      m_control.stop();
    }
  }
  m_control.detach(trial.id);
  finishTrial(trial, result, now() - start);
  update(trial);
  reportSweepProgress();
  std::lock_guard<std::mutex> lock(m_mutex);
  --m_running;
  m_changed.notify_all();
}

void SweepRunner::reportSweepProgress() {
  int finished = 0, planned = 0;
  double seconds = 0.0;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    planned = m_state.file.sweep.plannedTrials();
    for (const auto& t : m_state.trials)
      if (t.finished()) ++finished, seconds += t.wallSeconds;
  }
  const double perTrial = finished > 0 ? seconds / finished : 0.0;
  const double eta = perTrial * std::max(0, planned - finished) / std::max(1, m_state.file.sweep.parallel);
  m_observer.onSweepProgress(finished, planned, eta);
}

SweepResult SweepRunner::run() {
  m_sessionStart = now();
  m_wallBefore = m_state.wallSeconds;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    replayCurves();
    m_state.status = "running";
    save();
  }
  m_observer.onSweepDirectory(m_state.dir);
  std::string error;
  while (true) {
    std::optional<SweepTrial> trial;
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_changed.wait(lock, [&] { return m_running < m_state.file.sweep.parallel || m_control.isStopped(); });
      if (m_control.isStopped()) break;
      trial = nextTrial();
      if (!trial) break;
      ++m_running;
      save();
    }
    m_threads.emplace_back([this, t = *trial] { runTrial(t); });
  }
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    error = m_fatal;
  }
  if (!error.empty()) m_control.stop();
  for (auto& t : m_threads) t.join();
  m_threads.clear();

  std::lock_guard<std::mutex> lock(m_mutex);
  bool allDone = static_cast<int>(m_state.trials.size()) >= m_state.file.sweep.plannedTrials();
  for (const auto& t : m_state.trials) allDone = allDone && t.finished();
  m_state.status = !error.empty() ? "failed" : allDone ? "completed" : "stopped";
  m_state.error = error;
  save();
  return sweepResultOf(m_state);
}

}  // namespace distill
