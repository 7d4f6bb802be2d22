#pragma once

// Running a whole experiment: teacher, then each student distilled and trained from scratch in
// lockstep. The CLI and the GUI both call runExperiment.

#include <limits>
#include <string>
#include <vector>

#include "distill/config.h"
#include "distill/distributed.h"
#include "distill/observer.h"
#include "distill/repeat_statistics.h"
#include "distill/run_control.h"
#include "distill/run_phase.h"

namespace distill {

struct RunOptions {
  std::string outDir;  ///< empty: <runsRoot>/<name>-<timestamp>
  std::string runsRoot = "runs";
  /// Where corpora are tokenized once and memory-mapped from; empty: <runsRoot>/token-cache.
  std::string tokenCacheDir;
  /// On a NaN/Inf loss: pause (the GUI; the step is retried on resume, e.g. after lowering the
  /// learning rate) instead of failing the run (the CLI).
  bool pauseOnNonFinite = false;
  /// Where this process sits in a data-parallel group (torchrun / Slurm environment); a single
  /// process by default. Local multi-process runs come from train.processes instead.
  DistributedOptions distributed;
  /// > 0: overrides train.processes (the CLI's --nproc, also when resuming).
  int processes = 0;
  /// Time generation and training speed after a completed run (summary.json's *_tokens_per_s).
  /// Sweep trials skip it: a model's speed does not depend on how it was distilled, and the
  /// timings would cost every trial seconds.
  bool measureSpeed = true;
  /// The experiment file the settings came from (run.json records its SHA-256); empty: none.
  std::string experimentFile;
};

/// One model's numbers at the end of a run (summary.json). A model that was not trained (a run
/// stopped in the teacher's phase) has NaN numbers: null in JSON, "—" in tables, never 0 or 1.
/// A model's greedy answers to held-out prompts (prompt/response data), scored against the
/// references and against the teacher's own answers.
struct ResponseScores {
  int examples = 0;  ///< held-out prompts answered; 0: not measured (running text, or none asked)
  double exactMatch = std::numeric_limits<double>::quiet_NaN();         ///< share answered as the reference
  double rougeL = std::numeric_limits<double>::quiet_NaN();             ///< mean ROUGE-L F1 against it
  double exactMatchTeacher = std::numeric_limits<double>::quiet_NaN();  ///< share answered as the teacher
  double rougeLTeacher = std::numeric_limits<double>::quiet_NaN();      ///< mean ROUGE-L F1 against it
};

/// A student against one member of an ensemble of teachers.
struct TeacherAgreement {
  std::string teacher;  ///< the member's model name, "teacher-<name>"
  double agreement = 0.0;
  double kl = 0.0;
};

struct ModelSummary {
  std::string name;
  ModelRole role = ModelRole::Teacher;
  std::string arch;
  long long params = 0;
  int steps = 0;
  bool trained = true;  ///< false: the student never stepped (its numbers are NaN)
  double valLoss = kNotMeasured;
  double valPerplexity = kNotMeasured;
  double valBitsPerChar = kNotMeasured;  ///< valLoss per character of the validation text, in bits
  double agreement = kNotMeasured;       ///< top-1 agreement with the teacher on validation
  double klFromTeacher = kNotMeasured;   ///< KL(teacher || model) per token on validation
  /// With an ensemble of teachers: agreement and KL above are against the ensemble, these against
  /// each member (the last repeat's, with repeats).
  std::vector<TeacherAgreement> byTeacher;
  double genTokensPerSecond = kNotMeasured;           ///< batch 1, 256 new tokens, KV cache / carried state
  double genRecomputeTokensPerSecond = kNotMeasured;  ///< the same tokens by full recompute (no cache)
  double genSpeedupVsTeacher = kNotMeasured;          ///< genTokensPerSecond / the teacher's
  /// Training tokens per second of this model stepping alone on the run's threads (forward and
  /// backward of one batch; a warm-up, then the median of 7 timings of 4 steps), measured after
  /// training: its own cost, not its share of the side-by-side steps.
  double trainTokensPerSecond = kNotMeasured;
  /// Each repeat's numbers when the model trained in several (train.repeats > 1): then valLoss,
  /// valPerplexity, agreement and klFromTeacher above are their means. Empty for a model trained
  /// once (a shared teacher, a run without repeats).
  std::vector<RepeatOutcome> repeats;
  ResponseScores responses;

  static constexpr double kNotMeasured = std::numeric_limits<double>::quiet_NaN();
};

struct RunResult {
  enum class Status { Completed, Cancelled, Failed };
  Status status = Status::Failed;
  std::string runDir;  ///< empty when the run failed before creating it
  std::string error;   ///< one line, when Failed
  int worldSize = 1;   ///< data-parallel processes that trained it
  std::vector<ModelSummary> models;
};

/// Runs the experiment on the calling thread. Never throws: failures come back in the result.
RunResult runExperiment(const ExperimentConfig& config, const RunOptions& options, RunObserver& observer,
                        RunControl& control);

/// Continues a stopped, failed or killed run in its own folder from its newest intact resumable
/// checkpoint (written every train.checkpoint_interval steps and when a run stops), with the
/// settings it had then (live changes included). Metric points and samples written after that
/// checkpoint are replaced. With the same thread count the result equals an uninterrupted run's.
/// `options.outDir` is ignored. Never throws: failures come back in the result.
RunResult resumeExperiment(const std::string& runDir, const RunOptions& options, RunObserver& observer,
                           RunControl& control);

/// A rank other than 0 of a data-parallel run (`distill worker`, or a torchrun rank): joins the
/// group, takes the settings (and resume point) rank 0 publishes, trains its shard of each batch
/// and writes nothing. Never throws: failures come back in the result.
RunResult runWorker(const DistributedOptions& distributed, RunObserver& observer);

}  // namespace distill
