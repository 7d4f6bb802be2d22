#pragma once

#include <chrono>
#include <iosfwd>
#include <string>

#include "distill/observer.h"

namespace distill {

/// Prints a run's progress for a terminal or a log: phase, step/total, losses, tokens/s, ETA.
/// Progress lines are throttled; evaluations and messages always print.
class ConsoleReporter : public RunObserver {
public:
  explicit ConsoleReporter(std::ostream& out, double secondsBetweenLines = 5.0);

  void onRunDirectory(const std::string& path) override;
  void onPhase(RunPhase phase, int totalSteps) override;
  void onMetrics(const std::vector<MetricPoint>& points) override;
  void onProgress(const ProgressInfo& progress) override;
  void onMessage(const std::string& message) override;

private:
  std::ostream& m_out;
  double m_interval;
  std::chrono::steady_clock::time_point m_lastLine{};
};

}  // namespace distill
