#pragma once

// Values that change over the steps of a phase (distillation temperature and alpha).

#include "distill/config.h"

namespace distill {

/// Constant stays at `start`; linear and cosine go from `start` at step 0 to `end` at
/// `totalSteps`, then stay at `end`. Pure: the same step always gives the same value.
double scheduledValue(Schedule kind, double start, double end, int step, int totalSteps);

}  // namespace distill
