#pragma once

// Tree-structured Parzen Estimator (Bergstra et al., "Algorithms for Hyper-Parameter Optimization",
// NeurIPS 2011; as Hyperopt and Optuna implement it): the finished trials are split into the best
// gamma share ("good") and the rest; each parameter gets two Parzen densities, l(x) over the good
// values and g(x) over the others (a prior component in each); candidates drawn from l are scored
// by l(x)/g(x) and the best one is proposed. Parameters are modelled independently.

#include <random>
#include <vector>

#include "sweep/search_space.h"

namespace distill {

struct Observation {
  std::vector<double> point;
  double loss = 0.0;  ///< lower is better (a maximised objective enters negated)
};

struct TpeSettings {
  int startupTrials = 5;  ///< uniform draws until this many observations exist
  double gamma = 0.25;    ///< share of the observations that count as good
  int candidates = 24;    ///< draws from l(x) per parameter
};

/// The next point to try, given the observations so far.
std::vector<double> suggestTpe(const std::vector<Dimension>& space, const std::vector<Observation>& history,
                               std::mt19937_64& rng, const TpeSettings& settings = {});

}  // namespace distill
