#pragma once

// What a run reports while it goes. Plain value types: the CLI prints them, the GUI queues them
// to its thread, the run store writes them. Callbacks arrive on the training thread.

#include <string>

#include <vector>
#include "distill/run_phase.h"

namespace distill {

/// One scalar of one model at one step ("train/loss", "val/loss", "lr", "tokens_per_s", ...).
struct MetricPoint {
  std::string model;  ///< "teacher", "<student>-kd", "<student>-scratch"
  int step = 0;
  double wallSeconds = 0.0;  ///< since the run started
  std::string name;
  double value = 0.0;
  int repeat = 0;  ///< 1-based repeat of a run with train.repeats > 1; 0 in a run without repeats
};

/// Where a run is: which phase, how far into it.
/// Where a run computes and the most memory it has held (summary.json's `compute`, the status bar).
struct ComputeUse {
  std::string device = "cpu";  ///< "cpu", "cuda:0", ...
  std::string precision = "fp32";
  long long peakMemoryBytes = 0;
  /// What the peak measures: "cuda allocator" (tensors on the GPU) or "process resident set" (the
  /// whole process on the CPU, tensors and all).
  std::string peakMemoryOf = "process resident set";
};

struct ProgressInfo {
  RunPhase phase = RunPhase::Teacher;
  int step = 0;
  int totalSteps = 0;
  double phaseSeconds = 0.0;
  double etaSeconds = 0.0;       ///< for the current phase
  double tokensPerSecond = 0.0;  ///< training tokens per wall second over the recent window (all processes)
  int processes = 1;             ///< data-parallel processes training the run
  int repeat = 1;                ///< the repeat in progress (1-based) of `repeats`
  int repeats = 1;
  std::vector<MetricPoint> latest;  ///< this step's losses of every model in the phase
  ComputeUse compute;               ///< where the run computes, and its peak memory so far
};

/// A continuation generated during training (every evaluation) or on demand.
struct SampleRecord {
  std::string model;
  int step = 0;
  std::string prompt;
  std::string text;  ///< the continuation only
  int repeat = 0;    ///< as MetricPoint::repeat
};

class RunObserver {
public:
  virtual ~RunObserver() = default;
  virtual void onRunDirectory(const std::string& /*path*/) {}
  virtual void onPhase(RunPhase /*phase*/, int /*totalSteps*/) {}
  /// All metrics of one step, together.
  virtual void onMetrics(const std::vector<MetricPoint>& /*points*/) {}
  virtual void onProgress(const ProgressInfo& /*progress*/) {}
  virtual void onSample(const SampleRecord& /*sample*/) {}
  /// A step went wrong in a way the user can fix (a NaN/Inf loss): the run pauses after this.
  virtual void onFault(const std::string& /*message*/) {}
  /// Something a user should read (checkpoint written, teacher loaded, ...).
  virtual void onMessage(const std::string& /*message*/) {}
};

}  // namespace distill
