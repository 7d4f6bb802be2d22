#pragma once

// The space a sweep searches: each parameter a dimension (a list of values is categorical; a range
// is numeric, on a log scale for log_uniform, rounded for int). Grid enumeration, uniform draws,
// and the conversions between a trial's values (YAML scalars) and points of the space.

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "distill/sweep.h"

namespace distill {

struct Dimension {
  int choices = 0;  ///< > 0: categorical with this many values
  double low = 0.0, high = 1.0;
  bool log = false;
  bool integer = false;

  bool categorical() const { return choices > 0; }
};

Dimension dimensionOf(const SweepParameter& parameter);
std::vector<Dimension> dimensionsOf(const SweepDefinition& sweep);

/// Points of a grid sweep: the product of the lists (an int range counts every integer in it).
int gridSize(const SweepDefinition& sweep);
/// The grid point `index` (0-based, the last parameter varying fastest).
std::vector<std::string> gridPoint(const SweepDefinition& sweep, int index);

/// A point drawn uniformly (log-uniformly on a log dimension).
std::vector<double> uniformPoint(const std::vector<Dimension>& space, std::mt19937_64& rng);

/// The YAML scalar of a numeric value of `parameter` ("64" for an int range, "0.0031" otherwise).
std::string formatValue(const SweepParameter& parameter, double value);
/// A point's values as YAML scalars.
std::vector<std::string> valuesOf(const SweepDefinition& sweep, const std::vector<double>& point);
/// The point of these values; nullopt when one lies outside the space (a baseline's own value).
std::optional<std::vector<double>> pointOf(const SweepDefinition& sweep,
                                           const std::vector<std::string>& values);

/// The random generator of trial `trialId` of a sweep seeded `seed`: a trial's draw does not depend
/// on how many draws earlier trials made, so a resumed sweep proposes what the first would have.
std::mt19937_64 trialGenerator(uint64_t seed, int trialId);

}  // namespace distill
