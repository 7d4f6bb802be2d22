#pragma once

// Reading run directories back: the GUI's runs panel and curve overlays, and tests.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "distill/experiment.h"
#include "distill/observer.h"
#include "distill/provenance.h"
#include "distill/run_notes.h"

namespace distill {

struct RunRecord {
  std::string dir;
  std::string experiment;
  /// completed, cancelled, failed; "running" while its process lives (or, for runs without
  /// running.pid, while there is no summary); "crashed" when its process died mid-run
  std::string status;
  std::string modified;  ///< "YYYY-mm-dd HH:MM" of the last write
  long long diskBytes =
      0;  ///< everything in the folder (filled by listRuns): checkpoints, resume points, logs
  std::vector<ModelSummary> models;
  /// The sweep folder this run is a trial (or the shared teacher) of; empty for a plain run.
  std::string sweep;
  RunNotes notes;
  /// run.json, flattened (empty for runs older than it).
  std::vector<ProvenanceField> provenance;
};

/// Reads summary.json (if any) of one run directory. Throws EngineError if `dir` is no run.
RunRecord readRunSummary(const std::string& dir);

/// Every run directory directly under `root`, and the trials and teacher runs of every sweep folder
/// there, newest first. Unreadable ones are skipped.
std::vector<RunRecord> listRuns(const std::string& root);

/// Where a run can be resumed from (resumeExperiment).
struct ResumeInfo {
  std::string phase;          ///< "teacher" or "students"
  int step = 0;               ///< steps done in that phase
  int totalSteps = 0;         ///< steps of that phase
  int repeat = 1;             ///< the repeat it stands in (train.repeats)
  uint64_t metricsBytes = 0;  ///< metrics.jsonl up to the checkpoint (what stays when it resumes)
  uint64_t samplesBytes = 0;  ///< samples.jsonl up to the checkpoint
  std::string configYaml;     ///< the settings it continues with (live changes included)
};

/// The newest intact resumable checkpoint of a run that did not complete (the one
/// resumeExperiment takes); nullopt when there is none.
std::optional<ResumeInfo> findResumePoint(const std::string& dir);

/// The metric points of metrics.jsonl (its first `limit` bytes). A torn line (a crash mid-write) is ignored.
std::vector<MetricPoint> readMetrics(const std::string& dir, uint64_t limit = UINT64_MAX);

/// The samples of samples.jsonl (its first `limit` bytes).
std::vector<SampleRecord> readSamples(const std::string& dir, uint64_t limit = UINT64_MAX);

/// One held-out prompt of a prompt/response run (responses.jsonl): the reference answer and every
/// model's greedy answer, in the run's model order.
struct HeldOutAnswers {
  std::string prompt;
  std::string reference;
  std::vector<std::pair<std::string, std::string>> answers;  ///< (model, answer)
};

/// responses.jsonl of a run (empty for running-text runs and runs that did not finish).
std::vector<HeldOutAnswers> readHeldOutAnswers(const std::string& dir);

}  // namespace distill
