#pragma once

// Does distillation pay? Each distilled student against its scratch twin (same shape, initial
// weights, batches and steps) and the teacher: the verdict the CLI prints and the workbench shows.

#include <string>
#include <vector>

#include "distill/experiment.h"

namespace distill {

/// Validation losses closer than this are a tie: they print as ±0.0000 at the four decimals every
/// table uses. (A verdict within the noise of several seeds is the repeat-runs feature's job.)
constexpr double kTieTolerance = 5e-5;

struct TwinComparison {
  enum class Verdict { DistillationWins, Tie, ScratchWins, NotMeasured };
  Verdict verdict = Verdict::NotMeasured;
  double delta = 0.0;  ///< distilled − scratch validation loss (negative: distillation is better)
  /// Share of the teacher–scratch gap the distilled student closed: (scratch − kd) / (scratch −
  /// teacher). NaN when the teacher is not better than the scratch twin (no gap to recover).
  double gapRecovered = 0.0;
};

/// NaN losses (a model that was not trained) give NotMeasured.
TwinComparison compareWithTwin(double teacherLoss, double distilledLoss, double scratchLoss);

/// "distillation wins", "tie", "distillation does not win", "not trained".
std::string verdictText(TwinComparison::Verdict verdict);

struct TwinPair {
  std::string student;  ///< the student's name, without -kd / -scratch
  const ModelSummary* distilled = nullptr;
  const ModelSummary* scratch = nullptr;
  TwinComparison comparison;
};

/// Every distilled model of `models` that has its scratch twin there, in the order of `models`.
/// The pointers point into `models`.
std::vector<TwinPair> twinPairs(const std::vector<ModelSummary>& models);

}  // namespace distill
