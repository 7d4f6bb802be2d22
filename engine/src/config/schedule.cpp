#include "distill/schedule.h"

#include <algorithm>
#include <cmath>

namespace distill {

double scheduledValue(Schedule kind, double start, double end, int step, int totalSteps) {
  if (kind == Schedule::Constant || totalSteps <= 0) return start;
  const double progress = std::clamp(static_cast<double>(step) / static_cast<double>(totalSteps), 0.0, 1.0);
  if (kind == Schedule::Linear) return start + (end - start) * progress;
  // cosine: slow at both ends, like the learning-rate decay.
  return end + (start - end) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace distill
