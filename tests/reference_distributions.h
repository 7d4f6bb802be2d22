#pragma once

// Distributions written out term by term in double precision: the independent references the
// loss tests compare LibTorch's results with.

#include <algorithm>
#include <cmath>
#include <vector>

namespace distill::byhand {

using Row = std::vector<double>;

/// softmax(z / T), its largest term subtracted first (no overflow for large logits).
inline Row softmax(const Row& z, double T) {
  double m = -INFINITY, sum = 0.0;
  for (double v : z) m = std::max(m, v / T);
  Row p(z.size());
  for (size_t i = 0; i < z.size(); ++i) sum += (p[i] = std::exp(z[i] / T - m));
  for (auto& v : p) v /= sum;
  return p;
}

/// KL(p || q); terms with p = 0 contribute nothing.
inline double kl(const Row& p, const Row& q) {
  double d = 0.0;
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] > 0) d += p[i] * std::log(p[i] / q[i]);
  return d;
}

}  // namespace distill::byhand
