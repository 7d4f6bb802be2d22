#pragma once

// Runs the trials of a sweep: proposes each (grid, random, TPE), trains the teacher once per
// distinct teacher setting, lets trials share scratch twins, runs up to `parallel` trials at once
// (the cores split between them), stops hopeless ones (median rule), and keeps sweep.json and
// trials.csv current after every change.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "distill/sweep.h"
#include "sweep/median_stopping.h"
#include "sweep/repeat_means.h"
#include "sweep/sweep_record.h"

namespace distill {

class SweepRunner {
public:
  SweepRunner(SweepState state, const SweepOptions& options, SweepObserver& observer, SweepControl& control);
  ~SweepRunner();

  SweepResult run();

  // Called from a trial's run observer (its training thread).
  void trialMetrics(int trialId, const std::vector<MetricPoint>& points, RunControl& control);
  void trialProgress(int trialId, const ProgressInfo& progress);
  void trialDirectory(int trialId, const std::string& dir);

private:
  /// The next trial to start (an interrupted one first), or nullopt when none is left. Locked.
  std::optional<SweepTrial> nextTrial();
  std::vector<std::string> propose(int id);
  /// The --set overrides and the trial's values as key=value assignments.
  std::vector<std::string> valueOverrides(const SweepTrial& trial) const;
  /// The experiment with `overrides` applied. Throws EngineError naming the trial.
  ExperimentConfig parseTrial(const SweepTrial& trial, const std::vector<std::string>& overrides) const;
  /// The trial's settings: the experiment with its values (and --set) applied. Throws EngineError.
  ExperimentConfig settingsOf(const SweepTrial& trial) const;
  /// Everything the trial runs with: its values, the shared teacher, borrowed scratch twins, threads.
  ExperimentConfig configFor(SweepTrial& trial);
  /// The teacher run for these settings, trained now if no trial trained it yet (-1: the trials
  /// train or load their own). Throws EngineError when it fails.
  int teacherRunFor(const ExperimentConfig& settings);
  /// distill.cache_path / sequence_path overrides pointing at a logit cache or sequence set an
  /// earlier trial of the same teacher wrote.
  std::vector<std::string> teacherDataToReuse(const ExperimentConfig& settings, int teacherRun);
  void runTrial(SweepTrial trial);
  void finishTrial(SweepTrial& trial, const RunResult& result, double seconds);
  /// Tags a trial stopped early ("stopped early", the reason as its note) unless it has notes.
  void noteStop(const SweepTrial& trial);
  /// Replays finished trials' objective curves into the stopping rule (a resumed sweep).
  void replayCurves();
  void update(const SweepTrial& trial);  // stores the row, writes the record, tells the observer
  void save();
  void reportSweepProgress();
  SweepTrial* find(int id);
  std::string liveMetric() const;

  SweepState m_state;
  SweepOptions m_options;
  SweepObserver& m_observer;
  SweepControl& m_control;
  MedianStoppingRule m_rule;
  int m_threadsPerTrial = 1;
  std::mutex m_mutex;  // guards everything below and m_state
  std::condition_variable m_changed;
  std::map<std::string, int> m_teacherByKey;
  std::set<int> m_teachersTraining;
  std::map<std::string, int> m_scratchOwner;  // scratch key → the trial that trains it
  std::set<int> m_exempt;                     // trials never stopped early
  std::map<int, std::string> m_stopReasons;
  RepeatMeans m_repeatMeans;  // the live objective over a trial's repeats (under the mutex)
  std::vector<std::thread> m_threads;
  int m_running = 0;
  std::string m_fatal;
  double m_sessionStart = 0.0;  // when this session of the sweep began (now())
  double m_wallBefore =
      0.0;  // the sweep's time in earlier sessions  // what stopped the sweep (a failed teacher run)
};

}  // namespace distill
