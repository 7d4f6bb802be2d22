#include "sweep/tpe.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace distill {

namespace {

/// A numeric dimension's values mapped onto [0, 1] (log scale for log ranges; an int range's
/// integers sit at the centres of equal cells).
struct UnitScale {
  double lo, hi;
  bool log;
  explicit UnitScale(const Dimension& d)
      : lo(d.log ? std::log(d.low) : d.low - (d.integer ? 0.5 : 0.0)),
        hi(d.log ? std::log(d.high) : d.high + (d.integer ? 0.5 : 0.0)),
        log(d.log) {}
  double toUnit(double v) const { return ((log ? std::log(v) : v) - lo) / (hi - lo); }
  double fromUnit(double u) const {
    const double v = lo + u * (hi - lo);
    return log ? std::exp(v) : v;
  }
};

double normalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

/// A mixture of Gaussians truncated to [0, 1]: a prior component N(0.5, 1) and one per observation,
/// each as wide as the larger gap to its neighbours (Hyperopt's adaptive Parzen estimator).
class ParzenDensity {
public:
  explicit ParzenDensity(std::vector<double> samples) {
    std::sort(samples.begin(), samples.end());
    const size_t n = samples.size();
    const double minSigma = 1.0 / std::min(100.0, n + 1.0);
    for (size_t i = 0; i < n; ++i) {
      const double left = samples[i] - (i > 0 ? samples[i - 1] : 0.0);
      const double right = (i + 1 < n ? samples[i + 1] : 1.0) - samples[i];
      m_components.push_back({samples[i], std::clamp(std::max(left, right), minSigma, 1.0)});
    }
    m_components.push_back({0.5, 1.0});  // the prior
  }

  double logDensity(double x) const {
    double sum = 0.0;
    for (const auto& c : m_components) {
      const double mass = normalCdf((1.0 - c.mu) / c.sigma) - normalCdf(-c.mu / c.sigma);
      const double z = (x - c.mu) / c.sigma;
      sum += std::exp(-0.5 * z * z) / (c.sigma * std::sqrt(2.0 * M_PI) * mass);
    }
    return std::log(sum / m_components.size() + 1e-300);
  }

  double sample(std::mt19937_64& rng) const {
    std::uniform_int_distribution<size_t> pick(0, m_components.size() - 1);
    const auto& c = m_components[pick(rng)];
    std::normal_distribution<double> normal(c.mu, c.sigma);
    for (int attempt = 0; attempt < 100; ++attempt) {
      const double x = normal(rng);
      if (x >= 0.0 && x <= 1.0) return x;
    }
    return std::clamp(c.mu, 0.0, 1.0);
  }

private:
  struct Component {
    double mu, sigma;
  };
  std::vector<Component> m_components;
};

/// Category probabilities: counts plus one (the prior).
std::vector<double> categoryWeights(const std::vector<Observation>& obs, size_t dim, int choices) {
  std::vector<double> w(static_cast<size_t>(choices), 1.0);
  for (const auto& o : obs) w[static_cast<size_t>(o.point[dim])] += 1.0;
  double total = 0.0;
  for (double x : w) total += x;
  for (double& x : w) x /= total;
  return w;
}

double suggestCategory(const std::vector<Observation>& good, const std::vector<Observation>& bad, size_t dim,
                       int choices, int candidates, std::mt19937_64& rng) {
  const auto l = categoryWeights(good, dim, choices);
  const auto g = categoryWeights(bad, dim, choices);
  std::discrete_distribution<int> draw(l.begin(), l.end());
  int best = 0;
  double bestScore = -std::numeric_limits<double>::infinity();
  for (int i = 0; i < candidates; ++i) {
    const int c = draw(rng);
    const double score = std::log(l[c]) - std::log(g[c]);
    if (score > bestScore) bestScore = score, best = c;
  }
  return best;
}

double suggestNumber(const std::vector<Observation>& good, const std::vector<Observation>& bad, size_t dim,
                     const Dimension& d, int candidates, std::mt19937_64& rng) {
  const UnitScale scale(d);
  auto unitValues = [&](const std::vector<Observation>& obs) {
    std::vector<double> u;
    for (const auto& o : obs) u.push_back(std::clamp(scale.toUnit(o.point[dim]), 0.0, 1.0));
    return ParzenDensity(u);
  };
  const ParzenDensity l = unitValues(good), g = unitValues(bad);
  double best = 0.5, bestScore = -std::numeric_limits<double>::infinity();
  for (int i = 0; i < candidates; ++i) {
    const double u = l.sample(rng);
    const double score = l.logDensity(u) - g.logDensity(u);
    if (score > bestScore) bestScore = score, best = u;
  }
  const double value = scale.fromUnit(best);
  return d.integer ? std::clamp(std::round(value), d.low, d.high) : std::clamp(value, d.low, d.high);
}

}  // namespace

std::vector<double> suggestTpe(const std::vector<Dimension>& space, const std::vector<Observation>& history,
                               std::mt19937_64& rng, const TpeSettings& settings) {
  if (static_cast<int>(history.size()) < settings.startupTrials) return uniformPoint(space, rng);
  std::vector<Observation> sorted = history;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.loss < b.loss; });
  const size_t goodCount =
      std::max<size_t>(1, static_cast<size_t>(std::ceil(settings.gamma * sorted.size())));
  const std::vector<Observation> good(sorted.begin(), sorted.begin() + goodCount);
  const std::vector<Observation> bad(sorted.begin() + goodCount, sorted.end());
  std::vector<double> point;
  for (size_t dim = 0; dim < space.size(); ++dim) {
    const auto& d = space[dim];
    point.push_back(d.categorical() ? suggestCategory(good, bad, dim, d.choices, settings.candidates, rng)
                                    : suggestNumber(good, bad, dim, d, settings.candidates, rng));
  }
  return point;
}

}  // namespace distill
