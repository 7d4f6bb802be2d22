#include "sweep/median_stopping.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace distill {

MedianStoppingRule::MedianStoppingRule(bool minimize, int minTrials, int graceEvals)
    : m_minimize(minimize), m_minTrials(std::max(1, minTrials)), m_graceEvals(std::max(0, graceEvals)) {}

bool MedianStoppingRule::bestBy(int trial, int step, double& best) const {
  const auto it = m_curves.find(trial);
  if (it == m_curves.end() || it->second.empty() || it->second.back().first < step) return false;
  bool any = false;
  for (const auto& [s, v] : it->second) {
    if (s > step) break;
    if (!std::isfinite(v)) continue;
    if (!any || better(v, best)) best = v;
    any = true;
  }
  return any;
}

void MedianStoppingRule::truncate(int trial, int step) {
  auto& curve = m_curves[trial];
  curve.erase(std::remove_if(curve.begin(), curve.end(), [&](const auto& p) { return p.first > step; }),
              curve.end());
}

std::string MedianStoppingRule::report(int trial, int step, double value, bool exempt) {
  auto& curve = m_curves[trial];
  truncate(trial, step - 1);
  curve.emplace_back(step, value);
  if (exempt || step <= 0) return "";
  const auto judged = std::count_if(curve.begin(), curve.end(), [](const auto& p) { return p.first > 0; });
  if (judged <= m_graceEvals) return "";
  double mine = 0.0;
  if (!bestBy(trial, step, mine)) return "";
  std::vector<double> others;
  for (const auto& entry : m_curves) {
    double best = 0.0;
    if (entry.first != trial && bestBy(entry.first, step, best)) others.push_back(best);
  }
  if (static_cast<int>(others.size()) < m_minTrials) return "";
  std::sort(others.begin(), others.end());
  const size_t n = others.size();
  const double median = n % 2 ? others[n / 2] : 0.5 * (others[n / 2 - 1] + others[n / 2]);
  if (!better(median, mine)) return "";
  char reason[160];
  std::snprintf(reason, sizeof reason,
                "median rule at step %d: best %.4f is worse than the median %.4f of %zu trials", step, mine,
                median, n);
  return reason;
}

}  // namespace distill
