#include "sweep/search_space.h"

#include <cmath>
#include <cstdio>

namespace distill {

Dimension dimensionOf(const SweepParameter& p) {
  Dimension d;
  if (p.kind == RangeKind::Values) {
    d.choices = static_cast<int>(p.values.size());
    return d;
  }
  d.low = p.low;
  d.high = p.high;
  d.log = p.kind == RangeKind::LogUniform;
  d.integer = p.kind == RangeKind::Int;
  return d;
}

std::vector<Dimension> dimensionsOf(const SweepDefinition& sweep) {
  std::vector<Dimension> space;
  for (const auto& p : sweep.parameters) space.push_back(dimensionOf(p));
  return space;
}

namespace {

/// Grid values of one parameter (empty for a continuous range).
std::vector<std::string> gridValues(const SweepParameter& p) {
  if (p.kind == RangeKind::Values) return p.values;
  std::vector<std::string> values;
  if (p.kind == RangeKind::Int)
    for (double v = p.low; v <= p.high; v += 1.0) values.push_back(formatValue(p, v));
  return values;
}

}  // namespace

int gridSize(const SweepDefinition& sweep) {
  long long size = sweep.parameters.empty() ? 0 : 1;
  for (const auto& p : sweep.parameters) size = std::min<long long>(size * gridValues(p).size(), 1 << 30);
  return static_cast<int>(size);
}

std::vector<std::string> gridPoint(const SweepDefinition& sweep, int index) {
  std::vector<std::string> point(sweep.parameters.size());
  for (size_t i = sweep.parameters.size(); i-- > 0;) {
    const auto values = gridValues(sweep.parameters[i]);
    point[i] = values[static_cast<size_t>(index) % values.size()];
    index /= static_cast<int>(values.size());
  }
  return point;
}

std::vector<double> uniformPoint(const std::vector<Dimension>& space, std::mt19937_64& rng) {
  std::vector<double> point;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (const auto& d : space) {
    const double u = unit(rng);
    if (d.categorical()) {
      point.push_back(std::min<double>(d.choices - 1, std::floor(u * d.choices)));
    } else if (d.log) {
      point.push_back(std::exp(std::log(d.low) + u * (std::log(d.high) - std::log(d.low))));
    } else if (d.integer) {
      point.push_back(std::min(d.high, std::floor(d.low + u * (d.high - d.low + 1.0))));
    } else {
      point.push_back(d.low + u * (d.high - d.low));
    }
  }
  return point;
}

std::string formatValue(const SweepParameter& p, double value) {
  char text[32];
  if (p.kind == RangeKind::Int)
    std::snprintf(text, sizeof text, "%lld", static_cast<long long>(std::llround(value)));
  else
    std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

std::vector<std::string> valuesOf(const SweepDefinition& sweep, const std::vector<double>& point) {
  std::vector<std::string> values;
  for (size_t i = 0; i < sweep.parameters.size(); ++i) {
    const auto& p = sweep.parameters[i];
    values.push_back(p.kind == RangeKind::Values ? p.values[static_cast<size_t>(point[i])]
                                                 : formatValue(p, point[i]));
  }
  return values;
}

std::optional<std::vector<double>> pointOf(const SweepDefinition& sweep,
                                           const std::vector<std::string>& values) {
  std::vector<double> point;
  for (size_t i = 0; i < sweep.parameters.size() && i < values.size(); ++i) {
    const auto& p = sweep.parameters[i];
    if (p.kind == RangeKind::Values) {
      const auto it = std::find(p.values.begin(), p.values.end(), values[i]);
      if (it == p.values.end()) return std::nullopt;
      point.push_back(static_cast<double>(it - p.values.begin()));
      continue;
    }
    char* end = nullptr;
    const double v = std::strtod(values[i].c_str(), &end);
    if (end == values[i].c_str() || v < p.low || v > p.high) return std::nullopt;
    point.push_back(v);
  }
  if (point.size() != sweep.parameters.size()) return std::nullopt;
  return point;
}

std::mt19937_64 trialGenerator(uint64_t seed, int trialId) {
  std::seed_seq sequence{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                         static_cast<uint32_t>(trialId), 0x5eedu};
  return std::mt19937_64(sequence);
}

}  // namespace distill
