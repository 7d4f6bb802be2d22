#pragma once

// Values that change over the steps of a phase (distillation temperature and alpha).

#include <string>

namespace distill {

/// `kind` is constant (stays at `start`), linear or cosine (from `start` at step 0 to `end` at
/// `totalSteps`, then `end`). Pure: the same step always gives the same value.
double scheduledValue(const std::string& kind, double start, double end, int step, int totalSteps);

/// True for the names scheduledValue knows.
bool isScheduleKind(const std::string& kind);

}  // namespace distill
