// `distill sweep`: many trials of one experiment (its sweep: section), one line per trial.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "commands.h"
#include "distill/duration.h"
#include "distill/sweep.h"
#include "exit_codes.h"
#include "interrupt.h"

namespace distill::cli {

namespace {

struct SweepRequest {
  std::string file;
  std::vector<std::string> overrides;
  std::string outDir;
  std::string resumeDir;
  int maxTrials = 0;
  bool noTeacherReuse = false;
};

std::string valuesText(const std::vector<SweepParameter>& parameters, const SweepTrial& t) {
  std::string text;
  for (size_t i = 0; i < parameters.size() && i < t.values.size(); ++i)
    text += (text.empty() ? "" : " ") + parameters[i].key + "=" + t.values[i];
  return text;
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, std::isfinite(v) ? "%.4f" : "-", v);
  return text;
}

/// One line per finished trial, one per teacher run; a trial's own progress stays quiet.
class SweepConsole : public SweepObserver {
public:
  explicit SweepConsole(SweepDefinition sweep) : m_sweep(std::move(sweep)) {}

  void onSweepDirectory(const std::string& dir) override { say("sweep folder: " + dir); }
  void onTeacherRun(const TeacherRun& run) override {
    say(run.done ? "teacher " + std::to_string(run.id) + " trained: " + run.checkpoint
                 : "teacher " + std::to_string(run.id) +
                       ": training once for every trial with these teacher settings (" + run.runDir + ")");
  }
  void onTeacherProgress(int id, const ProgressInfo& p) override {
    const auto now = std::chrono::steady_clock::now();
    if (now - m_lastTeacherLine < std::chrono::seconds(10) && p.step < p.totalSteps) return;
    m_lastTeacherLine = now;
    say("teacher " + std::to_string(id) + ": step " + std::to_string(p.step) + "/" +
        std::to_string(p.totalSteps) + ", ETA " + formatDuration(p.etaSeconds));
  }
  void onTrial(const SweepTrial& t) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (t.status == SweepTrial::Status::Running) {
      m_lines.push_back("trial " + std::to_string(t.id) + " started" + (t.baseline ? " (baseline)" : "") +
                        ": " + valuesText(m_sweep.parameters, t));
      return;
    }
    if (!t.finished()) return;
    const bool better =
        std::isfinite(t.objective) && t.status == SweepTrial::Status::Completed &&
        (m_best < 0 || (m_sweep.objective.minimize ? t.objective < m_bestValue : t.objective > m_bestValue));
    if (better) m_best = t.id, m_bestValue = t.objective;
    std::string line = "trial " + std::to_string(t.id) + " " + statusName(t.status) + " in " +
                       formatDuration(t.wallSeconds) + ": " + m_sweep.objective.model + " " +
                       m_sweep.objective.metric + " " + number(t.objective);
    if (t.status == SweepTrial::Status::Stopped || t.status == SweepTrial::Status::Failed)
      line += " (" + t.stopReason + ")";
    if (m_best >= 0) line += " | best " + number(m_bestValue) + " (trial " + std::to_string(m_best) + ")";
    m_lines.push_back(line);
  }
  void onSweepProgress(int finished, int planned, double eta) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (const auto& line : m_lines) std::cout << line << "\n";
    m_lines.clear();
    std::cout << "  " << finished << "/" << planned << " trials done, sweep ETA " << formatDuration(eta)
              << std::endl;
  }
  void onMessage(const std::string& message) override { say(message); }

  void flush() {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (const auto& line : m_lines) std::cout << line << "\n";
    m_lines.clear();
    std::cout.flush();
  }

private:
  void say(const std::string& line) {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::cout << line << std::endl;
  }

  const SweepDefinition m_sweep;
  std::mutex m_mutex;
  std::vector<std::string> m_lines;
  int m_best = -1;
  double m_bestValue = 0.0;
  std::chrono::steady_clock::time_point m_lastTeacherLine{};
};

/// The best trials first, the baseline always shown.
void printTopTrials(const SweepDefinition& sweep, const SweepResult& result, size_t rows) {
  std::vector<const SweepTrial*> ranked;
  for (const auto& t : result.trials)
    if (t.status == SweepTrial::Status::Completed && std::isfinite(t.objective)) ranked.push_back(&t);
  std::sort(ranked.begin(), ranked.end(), [&](const SweepTrial* a, const SweepTrial* b) {
    return sweep.objective.minimize ? a->objective < b->objective : a->objective > b->objective;
  });
  std::printf("\n%-6s %-9s %12s  %s\n", "trial", "status", sweep.objective.metric.c_str(), "values");
  size_t shown = 0;
  for (const auto* t : ranked) {
    if (shown >= rows && !t->baseline) continue;
    ++shown;
    std::printf("%-6d %-9s %12s  %s%s\n", t->id, statusName(t->status), number(t->objective).c_str(),
                valuesText(sweep.parameters, *t).c_str(), t->baseline ? "  (baseline)" : "");
  }
}

int sweepCommand(const SweepRequest& request) {
  SweepFile file;
  if (request.resumeDir.empty()) {
    if (request.file.empty()) {
      std::cerr << "error: sweep needs an experiment file with a sweep: section, or --resume DIR\n";
      return kExitBadInput;
    }
    file = loadSweepFile(request.file, request.overrides);
    if (!file.ok()) {
      for (const auto& p : file.problems) std::cerr << p.toString(request.file) << "\n";
      return kExitBadInput;
    }
  } else if (!request.file.empty() || !request.overrides.empty() || !request.outDir.empty()) {
    std::cerr << "error: --resume continues the sweep with its own experiment; a file, --set and --out do "
                 "not apply\n";
    return kExitBadInput;
  }

  SweepOptions options;
  options.outDir = request.outDir;
  options.maxTrials = request.maxTrials;
  options.reuseTeacher = !request.noTeacherReuse;
  SweepDefinition definition = file.sweep;
  if (!request.resumeDir.empty()) {
    try {
      definition = readSweep(request.resumeDir).definition;
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << "\n";
      return kExitBadInput;
    }
  }
  SweepControl control;
  SweepConsole console(definition);
  SweepResult result;
  {
    InterruptWatcher watcher(
        "interrupted: stopping the trials after their current step (distill sweep --resume continues)",
        [&] { control.stop(); });
    result = request.resumeDir.empty() ? runSweep(file, options, console, control)
                                       : resumeSweep(request.resumeDir, options, console, control);
    console.flush();
  }
  if (result.status == SweepResult::Status::Failed) {
    std::cerr << "error: " << result.error << "\n";
    if (!result.dir.empty()) std::cerr << "resume with: distill sweep --resume " << result.dir << "\n";
    return kExitFailed;
  }
  printTopTrials(definition, result, 5);
  int trained = 0;
  for (const auto& run : result.teacherRuns) trained += run.done ? 1 : 0;
  std::printf("teacher trained %d time(s) for %zu trials; sweep time %s\nsweep folder: %s (trials.csv)\n",
              trained, result.trials.size(), formatDuration(result.wallSeconds).c_str(), result.dir.c_str());
  if (result.status == SweepResult::Status::Stopped)
    std::printf("stopped: distill sweep --resume %s finishes it\n", result.dir.c_str());
  return result.status == SweepResult::Status::Stopped ? kExitInterrupted : kExitOk;
}

}  // namespace

void addSweepCommand(CLI::App& app, Commands& commands) {
  auto request = std::make_shared<SweepRequest>();
  auto* sweep =
      app.add_subcommand("sweep", "Run the trials of an experiment's sweep: section; one line per trial");
  auto* file = sweep->add_option("file", request->file, "Experiment YAML with a sweep: section");
  sweep->add_option("--set", request->overrides, "Override an experiment key for every trial (repeatable)");
  sweep->add_option("--out", request->outDir, "Sweep folder (default runs/sweep-<experiment>-<timestamp>)");
  auto* resume = sweep->add_option("--resume", request->resumeDir, "Finish a stopped, failed or killed sweep")
                     ->check(CLI::ExistingDirectory);
  file->excludes(resume);
  sweep->add_option("--max-trials", request->maxTrials, "Trials to run (overrides sweep.max_trials)")
      ->check(CLI::PositiveNumber);
  sweep->add_flag("--no-teacher-reuse", request->noTeacherReuse,
                  "Every trial trains its own teacher (to measure what reuse saves)");
  sweep->footer(
      examples({"distill sweep experiments/sweep_lstm.yaml",
                "distill sweep experiments/sweep_lstm.yaml --max-trials 4 --set train.student_steps=300",
                "distill sweep --resume runs/sweep-sweep_lstm-20261203-101500"}));
  commands.add(sweep, [request] { return sweepCommand(*request); });
}

}  // namespace distill::cli
