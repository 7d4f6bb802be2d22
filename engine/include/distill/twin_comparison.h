#pragma once

// Does distillation pay? Each distilled student against its scratch twin (same shape, initial
// weights, batches and steps) and the teacher: the verdict the CLI prints and the workbench shows.

#include <string>
#include <vector>

#include "distill/experiment.h"
#include "distill/repeat_statistics.h"

namespace distill {

/// Validation losses closer than this are a tie: they print as ±0.0000 at the four decimals every
/// table uses. Over several seeds (train.repeats) the paired interval decides instead.
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
  TwinComparison comparison;  ///< of the (mean) validation losses
  /// Over the repeats, paired by seed (NotMeasured in a run without repeats).
  PairedDifference paired;
};

/// The verdict a table shows: over repeats the paired interval's ("distillation wins" / "loses" /
/// "no clear difference"), else the single run's.
std::string twinVerdict(const TwinPair& pair);

/// The teacher students are compared with: the one teacher, or of an ensemble the member with the
/// lowest validation loss (null: none in `models`).
const ModelSummary* referenceTeacher(const std::vector<ModelSummary>& models);

/// Every distilled model of `models` that has its scratch twin there, in the order of `models`.
/// The pointers point into `models`.
std::vector<TwinPair> twinPairs(const std::vector<ModelSummary>& models);

}  // namespace distill
