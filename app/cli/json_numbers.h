#pragma once

// How the CLI's JSON spells a number that was not measured: null, never NaN (not JSON) or 0.

#include <cmath>
#include <nlohmann/json.hpp>

namespace distill::cli {

inline nlohmann::ordered_json finiteOrNull(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json();
}

}  // namespace distill::cli
