#pragma once

#include <mutex>
#include <optional>
#include <vector>

#include "distill/observer.h"

namespace distill {

/// Hands high-rate data from the training thread to the GUI (PlotJuggler's pattern): the worker
/// appends under a short lock, the GUI's timer takes everything at once.
class MetricsMailbox {
public:
  void post(const std::vector<MetricPoint>& points);
  void postProgress(const ProgressInfo& progress);

  struct Contents {
    std::vector<MetricPoint> points;
    std::optional<ProgressInfo> progress;  ///< only the newest
  };
  Contents take();

private:
  std::mutex m_mutex;
  Contents m_contents;
};

}  // namespace distill
