#include "metrics_mailbox.h"

namespace distill {

void MetricsMailbox::post(const std::vector<MetricPoint>& points) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_contents.points.insert(m_contents.points.end(), points.begin(), points.end());
}

void MetricsMailbox::postProgress(const ProgressInfo& progress) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_contents.progress = progress;
}

MetricsMailbox::Contents MetricsMailbox::take() {
  std::lock_guard<std::mutex> lock(m_mutex);
  Contents taken = std::move(m_contents);
  m_contents = {};
  return taken;
}

}  // namespace distill
