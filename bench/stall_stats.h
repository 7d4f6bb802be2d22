#pragma once

// Shared by the GUI stall benchmarks: the lateness figures they print.

#include <algorithm>
#include <cstddef>
#include <vector>

namespace distill::bench {

/// The p-quantile (0..1) of `values` by nearest rank below; 0 for none.
inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  return values[static_cast<size_t>(p * static_cast<double>(values.size() - 1))];
}

}  // namespace distill::bench
