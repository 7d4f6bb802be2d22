#include "distill/run_control.h"

namespace distill {

void RunControl::pause() { m_paused = true; }

void RunControl::resume() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_paused = false;
  }
  m_wake.notify_all();
}

void RunControl::cancel() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_cancelled = true;
  }
  m_wake.notify_all();
}

void RunControl::changeSettings(const LiveSettings& settings) {
  std::lock_guard<std::mutex> lock(m_mutex);
  if (settings.lr) m_pending.lr = settings.lr;
  if (settings.temperature) m_pending.temperature = settings.temperature;
  if (settings.alpha) m_pending.alpha = settings.alpha;
  if (settings.evalInterval) m_pending.evalInterval = settings.evalInterval;
}

LiveSettings RunControl::takeSettings() {
  std::lock_guard<std::mutex> lock(m_mutex);
  LiveSettings taken = m_pending;
  m_pending = {};
  return taken;
}

bool RunControl::checkpoint() {
  if (m_paused.load() && !m_cancelled.load()) {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_wake.wait(lock, [this] { return !m_paused.load() || m_cancelled.load(); });
  }
  return !m_cancelled.load();
}

std::optional<bool> RunControl::checkpointFor(std::chrono::milliseconds maxWait) {
  if (m_paused.load() && !m_cancelled.load()) {
    std::unique_lock<std::mutex> lock(m_mutex);
    if (!m_wake.wait_for(lock, maxWait, [this] { return !m_paused.load() || m_cancelled.load(); }))
      return std::nullopt;
  }
  return !m_cancelled.load();
}

}  // namespace distill
