#pragma once

// Sweeps: many trials of one experiment, each an ordinary run folder, searched by grid, random or
// TPE, hopeless trials stopped early, the teacher trained once per distinct teacher setting. The
// CLI (`distill sweep`) and the workbench's Sweep tab both drive runSweep.

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "distill/config.h"
#include "distill/experiment.h"
#include "distill/observer.h"
#include "distill/run_control.h"
#include "distill/twin_comparison.h"

namespace distill {

enum class SweepStrategy { Grid, Random, Tpe };
/// How a parameter's values are given: a list, or a range sampled uniformly, log-uniformly or as integers.
enum class RangeKind { Values, Uniform, LogUniform, Int };
/// None, or the median stopping rule (Golovin et al., "Google Vizier", 2017): at an evaluation, a
/// trial whose best objective so far is worse than the median of the other trials' best by the
/// same step stops.
enum class EarlyStopping { None, Median };

struct SweepParameter {
  std::string key;  ///< dotted experiment key ("students.1.hidden"; the file may write students[1].hidden)
  RangeKind kind = RangeKind::Values;
  std::vector<std::string> values;  ///< Values: each as the YAML scalar the file wrote
  double low = 0.0, high = 0.0;     ///< ranges, inclusive
  int line = 0, column = 0;         ///< where the file names the parameter

  bool isRange() const { return kind != RangeKind::Values; }
};

/// What the sweep optimises: one summary number of one model.
struct SweepObjective {
  std::string model;  ///< "lstm-kd", "teacher", ...; default: the first distilled student
  std::string metric =
      "val_loss";        ///< val_loss | val_perplexity | bits_per_char | agreement | kl_from_teacher
  bool minimize = true;  ///< default: minimise, except agreement

  /// The metrics a sweep can optimise, as summary.json names them.
  static const std::vector<std::string>& metrics();
};

struct SweepDefinition {
  std::vector<SweepParameter> parameters;
  SweepStrategy strategy = SweepStrategy::Grid;
  int maxTrials = 0;  ///< 0: the whole grid, or 20 for random and tpe (the baseline not counted)
  SweepObjective objective;
  uint64_t seed = 0;
  EarlyStopping earlyStopping = EarlyStopping::None;
  int minTrials = 3;   ///< median rule: other trials needed at an evaluation step before it stops one
  int graceEvals = 1;  ///< median rule: evaluations of a trial (after step 0) never judged
  int parallel = 1;    ///< trials at once; the cores are split between them
  /// > 0: every trial trains its students this many times (train.repeats); its objective is the
  /// mean over them, and so are the values TPE and the median rule see. 0: as the experiment says.
  int repeats = 0;
  /// Trial 0 is the experiment as written (its own values of the swept keys): the reference the
  /// table compares against. It is never stopped early.
  bool baseline = true;

  /// The number of trials to run: maxTrials, capped by the grid's size for a grid.
  int plannedTrials() const;
};

/// An experiment file with a `sweep:` section, parsed and checked.
struct SweepFile {
  std::string path;                    ///< the file (for messages)
  std::string text;                    ///< its YAML text (a trial applies its values on top)
  std::string sourceDir;               ///< relative paths in the text resolve against it
  std::vector<std::string> overrides;  ///< --set assignments applied to every trial
  ExperimentConfig base;               ///< the experiment as written
  SweepDefinition sweep;
  bool hasSweep = false;  ///< the text has a sweep: section
  std::vector<ConfigProblem> problems;

  bool ok() const { return problems.empty(); }
};

/// Parses an experiment and its sweep section; every problem names its key, line and column.
/// A swept key that does not exist, a value outside the key's range, a range on a key that is not
/// a number, an objective model the experiment does not train: refused before anything trains.
SweepFile parseSweepFile(const std::string& yamlText, const std::string& sourceDir,
                         const std::vector<std::string>& overrides = {},
                         const std::string& defaultName = "experiment");
/// Reads and parses a file (named after the file when it has no `name`).
SweepFile loadSweepFile(const std::string& path, const std::vector<std::string>& overrides = {});
/// The `sweep:` section of a definition, as YAML (appended to an experiment, it parses back to it).
std::string sweepToYaml(const SweepDefinition& sweep);
/// `experimentText` with its top-level `sweep:` section replaced by `sweep` (appended when it has
/// none). The text comes back unchanged when its own section already says the same, so saving an
/// experiment keeps the comments of a sweep section nobody edited.
std::string withSweepSection(const std::string& experimentText, const std::string& sourceDir,
                             const SweepDefinition& sweep);

/// One trial: an assignment of the swept keys and, once run, its numbers.
struct SweepTrial {
  enum class Status { Pending, Running, Completed, Stopped, Failed };
  int id = 0;
  bool baseline = false;
  std::vector<std::string> values;  ///< per parameter, as YAML scalars
  Status status = Status::Pending;
  std::string runDir;
  int teacherRun = -1;  ///< the teacher run it distils from (-1: the experiment's own teacher)
  /// Students whose scratch twin another trial trained (same settings but the distillation):
  /// student name → that trial's id.
  std::map<std::string, int> scratchFrom;
  double objective = std::numeric_limits<double>::quiet_NaN();
  int objectiveStep = 0;  ///< the step the objective was measured at
  double wallSeconds = 0.0;
  std::string stopReason;  ///< why a trial stopped early, or the error of a failed one
  std::vector<ModelSummary> models;

  bool finished() const {
    return status == Status::Completed || status == Status::Stopped || status == Status::Failed;
  }
  /// The model of this name in the trial's summary (null when it did not train one).
  const ModelSummary* model(const std::string& name) const;
};

const char* statusName(SweepTrial::Status status);

/// The completed trial with the best finite objective (its id; -1: none yet).
int bestTrial(const std::vector<SweepTrial>& trials, const SweepObjective& objective);
/// The standard deviation of `trial`'s objective over its repeats; NaN with fewer than two.
double objectiveSpread(const SweepObjective& objective, const SweepTrial& trial);
/// `student`'s distilled model in a completed `trial` against its own scratch twin or the one it
/// borrowed from another of `trials` (the same seeds: the pairs over repeats hold); nullopt when
/// not measured. Its pointers point into `trials`.
std::optional<TwinPair> trialTwin(const std::vector<SweepTrial>& trials, const SweepTrial& trial,
                                  const std::string& student);
/// The share of the teacher–scratch gap that trialTwin's distilled model closed; NaN when not measured.
double gapRecovered(const std::vector<SweepTrial>& trials, const SweepTrial& trial,
                    const std::string& student);

/// A run that trains a teacher once for every trial with the same teacher settings.
struct TeacherRun {
  int id = 0;
  std::string key;  ///< the teacher settings it stands for (resolved YAML)
  std::string runDir;
  std::string checkpoint;  ///< its teacher.pt once trained
  bool done = false;
  int trials = 0;  ///< trials that distilled from it
};

/// What a sweep reports while it goes. Callbacks arrive on the sweep's threads.
class SweepObserver {
public:
  virtual ~SweepObserver() = default;
  virtual void onSweepDirectory(const std::string& /*dir*/) {}
  /// A trial was created, started or finished: its row as it is now.
  virtual void onTrial(const SweepTrial& /*trial*/) {}
  virtual void onTrialProgress(int /*trialId*/, const ProgressInfo& /*progress*/) {}
  virtual void onTrialMetrics(int /*trialId*/, const std::vector<MetricPoint>& /*points*/) {}
  virtual void onTeacherRun(const TeacherRun& /*run*/) {}
  virtual void onTeacherProgress(int /*teacherId*/, const ProgressInfo& /*progress*/) {}
  /// Finished trials, the remaining ones and the expected time to the end of the sweep.
  virtual void onSweepProgress(int /*finished*/, int /*planned*/, double /*etaSeconds*/) {}
  virtual void onMessage(const std::string& /*message*/) {}
};

/// Stop, pause or resume the whole sweep or one trial, from any thread.
class SweepControl {
public:
  /// No new trials; the running ones stop after their current step (resumable with --resume).
  void stop();
  void pause();
  void resume();
  /// Stops one trial for good (status stopped, reason "stopped by the user").
  void stopTrial(int trialId);
  void pauseTrial(int trialId);
  void resumeTrial(int trialId);
  bool isStopped() const;
  bool isPaused() const;

  /// The sweep's side: a running trial's RunControl (created paused when the sweep is).
  std::shared_ptr<RunControl> attach(int trialId);
  void detach(int trialId);
  /// True when the user stopped this trial (as opposed to the whole sweep).
  bool userStopped(int trialId) const;

private:
  mutable std::mutex m_mutex;
  bool m_stopped = false;
  bool m_paused = false;
  std::map<int, std::shared_ptr<RunControl>> m_running;
  std::vector<int> m_userStopped;
};

struct SweepOptions {
  std::string outDir;  ///< empty: <runsRoot>/sweep-<name>-<timestamp>
  std::string runsRoot = "runs";
  int maxTrials = 0;         ///< > 0: overrides sweep.max_trials
  bool reuseTeacher = true;  ///< false: every trial trains its own teacher (for comparison)
  bool pauseOnNonFinite = false;
};

struct SweepResult {
  enum class Status { Completed, Stopped, Failed };
  Status status = Status::Failed;
  std::string dir;
  std::string error;
  SweepDefinition definition;
  std::vector<SweepTrial> trials;
  std::vector<TeacherRun> teacherRuns;
  int bestTrial = -1;  ///< the completed trial with the best objective
  double wallSeconds = 0.0;
};

/// Runs a sweep on the calling thread (trials on worker threads). Never throws.
SweepResult runSweep(const SweepFile& file, const SweepOptions& options, SweepObserver& observer,
                     SweepControl& control);
/// Finishes a sweep folder after a stop, crash or kill: finished trials are kept, the ones in flight
/// resume from their checkpoints. Never throws.
SweepResult resumeSweep(const std::string& dir, const SweepOptions& options, SweepObserver& observer,
                        SweepControl& control);

/// The trials of a sweep folder (sweep.json), for the workbench and tests. Throws EngineError.
SweepResult readSweep(const std::string& dir);

}  // namespace distill
