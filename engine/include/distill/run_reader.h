#pragma once

// Reading run directories back: the GUI's runs panel and curve overlays, and tests.

#include <string>
#include <vector>

#include "distill/experiment.h"
#include "distill/observer.h"

namespace distill {

struct RunRecord {
  std::string dir;
  std::string experiment;
  std::string status;    ///< completed, cancelled, failed, or "running" when there is no summary yet
  std::string modified;  ///< "YYYY-mm-dd HH:MM" of the last write
  std::vector<ModelSummary> models;
};

/// Reads summary.json (if any) of one run directory. Throws EngineError if `dir` is no run.
RunRecord readRunSummary(const std::string& dir);

/// Every run directory directly under `root`, newest first. Unreadable ones are skipped.
std::vector<RunRecord> listRuns(const std::string& root);

/// All metric points of metrics.jsonl. A torn last line (a crash mid-write) is ignored.
std::vector<MetricPoint> readMetrics(const std::string& dir);

/// All samples of samples.jsonl.
std::vector<SampleRecord> readSamples(const std::string& dir);

}  // namespace distill
