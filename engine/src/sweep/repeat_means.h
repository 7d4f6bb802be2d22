#pragma once

// The live objective of a sweep's trials with repeats (sweep.repeats / train.repeats): what the
// trial table and the median rule see at a step is the mean over the repeats that reached it.

#include <map>

namespace distill {

class RepeatMeans {
public:
  /// Records `trial`'s value at `step` in `repeat` and returns the mean over its repeats at that
  /// step (the value itself for a trial without repeats). A step reported again (a resumed trial)
  /// replaces its repeat's value.
  double record(int trial, int repeat, int step, double value) {
    auto& byRepeat = m_values[trial][step];
    byRepeat[repeat] = value;
    double sum = 0.0;
    for (const auto& entry : byRepeat) sum += entry.second;
    return sum / static_cast<double>(byRepeat.size());
  }

private:
  std::map<int, std::map<int, std::map<int, double>>> m_values;  // trial → step → repeat → value
};

}  // namespace distill
