#pragma once

// A sweep folder's own files: sweep.json (the definition, the experiment text it came from, the
// status and every trial and teacher run) and trials.csv (one row per trial, rewritten whole from
// the trial list, so a resumed sweep never duplicates a row). Both written atomically.

#include <string>
#include <vector>

#include "distill/sweep.h"

namespace distill {

struct SweepState {
  SweepFile file;
  std::string dir;
  std::string status = "running";  ///< running, completed, stopped, failed
  std::string error;
  std::vector<SweepTrial> trials;
  std::vector<TeacherRun> teacherRuns;
  double wallSeconds = 0.0;  ///< the sweep's time so far (over all its sessions)
  bool reuseTeacher = true;
};

/// The index of the best finished trial (completed, with a finite objective); -1 when none.
int bestTrialOf(const SweepState& state);

/// The sweep as the API reports it (status from state.status: completed, failed, else stopped).
SweepResult sweepResultOf(const SweepState& state);

void writeSweepRecord(const SweepState& state);
/// Reads sweep.json back (the file is parsed again from the text it holds). Throws EngineError.
SweepState readSweepRecord(const std::string& dir);

/// trials.csv's text: trial, status, baseline, every swept key, objective, per model val_loss /
/// val_perplexity / agreement, each distilled student's gap_recovered, steps, wall_s, stop_reason,
/// teacher_run, run_dir.
std::string trialsCsv(const SweepState& state);

/// The objective's value in a model summary (NaN when the model is missing or not measured).
double objectiveOf(const SweepObjective& objective, const std::vector<ModelSummary>& models);

}  // namespace distill
