#pragma once

// The median stopping rule (Golovin et al., "Google Vizier", KDD 2017): at each evaluation, a trial
// whose best objective so far is strictly worse than the median of the other trials' best values
// by the same step is stopped. It needs no budget schedule (unlike successive halving), works with
// trials arriving one by one or in parallel, and judges a trial only against the trials that got
// as far as it has.

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace distill {

class MedianStoppingRule {
public:
  /// `minTrials`: other trials that must have reached a step before a trial is judged at it;
  /// `graceEvals`: a trial's first evaluations (after step 0) that are never judged.
  MedianStoppingRule(bool minimize, int minTrials, int graceEvals);

  /// Records `trial`'s objective at `step`. Returns why it should stop, or "" to go on. `exempt`
  /// trials are recorded (others are judged against them) but never stopped.
  std::string report(int trial, int step, double value, bool exempt = false);

  /// Forgets the points of `trial` after `step` (a resumed trial repeats them).
  void truncate(int trial, int step);

private:
  /// The best value of `trial` at steps <= `step`; false when it has none or has not reached `step`.
  bool bestBy(int trial, int step, double& best) const;
  bool better(double a, double b) const { return m_minimize ? a < b : a > b; }

  bool m_minimize;
  int m_minTrials;
  int m_graceEvals;
  std::map<int, std::vector<std::pair<int, double>>> m_curves;  // trial → (step, value), by step
};

}  // namespace distill
