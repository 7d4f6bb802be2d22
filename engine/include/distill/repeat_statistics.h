#pragma once

// Statistics over repeats of a run with different seeds: each model's mean and spread, and for a
// distilled student against its scratch twin the paired difference with a Student-t confidence
// interval. The verdict says "wins" or "loses" only when the interval excludes zero.

#include <limits>
#include <string>
#include <vector>

namespace distill {

/// Mean and sample standard deviation (n − 1 in the denominator; 0 for one value) of the finite values.
struct Spread {
  double mean = 0.0;
  double sd = 0.0;
  int count = 0;  ///< finite values used
};
Spread spreadOf(const std::vector<double>& values);

/// One model's final numbers in one repeat of a run with train.repeats > 1 (NaN: not measured).
struct RepeatOutcome {
  int repeat = 1;  ///< 1-based
  int seed = 0;    ///< the repeat's seed (repeatSeed)
  int steps = 0;
  double valLoss = std::numeric_limits<double>::quiet_NaN();
  double valPerplexity = std::numeric_limits<double>::quiet_NaN();
  double valBitsPerChar = std::numeric_limits<double>::quiet_NaN();
  double agreement = std::numeric_limits<double>::quiet_NaN();
  double klFromTeacher = std::numeric_limits<double>::quiet_NaN();
};
/// The spread of one number over a model's repeats, e.g. spreadOf(outcomes, &RepeatOutcome::valLoss).
Spread spreadOf(const std::vector<RepeatOutcome>& outcomes, double RepeatOutcome::*number);

/// The p-quantile of Student's t distribution with `dof` degrees of freedom (p in (0, 1), dof >= 1),
/// by bisection on the regularised incomplete beta function (relative error < 1e-10).
double studentTQuantile(double p, int dof);

/// distilled − scratch over repeats paired by seed (pair i: the same seed, batches and initial
/// weights), with the two-sided `confidence` interval mean ± t(1 − α/2, n − 1) · sd / √n.
struct PairedDifference {
  enum class Verdict { Wins, Loses, NoClearDifference, NotMeasured };
  double mean = 0.0;  ///< mean of distilled − scratch (negative: distillation is better)
  double sd = 0.0;    ///< of the differences
  double low = 0.0, high = 0.0;
  int pairs = 0;  ///< pairs where both numbers are finite
  /// Wins: the interval lies below zero; Loses: above; NoClearDifference: it holds zero;
  /// NotMeasured: fewer than two pairs (no interval).
  Verdict verdict = Verdict::NotMeasured;
};
PairedDifference pairedDifference(const std::vector<double>& distilled, const std::vector<double>& scratch,
                                  double confidence = 0.95);
/// The paired validation-loss difference of a distilled student's repeats and its twin's, matched
/// by repeat number (the same seed); repeats one of them lacks are left out.
PairedDifference pairedOverRepeats(const std::vector<RepeatOutcome>& distilled,
                                   const std::vector<RepeatOutcome>& scratch, double confidence = 0.95);

/// "-0.0048 [-0.0393, +0.0297] over 3 seeds" (the mean difference and its interval, 4 decimals);
/// "not measured" with fewer than two pairs.
std::string intervalText(const PairedDifference& difference);
/// "distillation wins", "distillation loses", "no clear difference", "not measured".
std::string verdictText(PairedDifference::Verdict verdict);

}  // namespace distill
