#include <algorithm>

#include "distill/sweep.h"

namespace distill {

void SweepControl::stop() {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_stopped = true;
  for (auto& [id, control] : m_running) control->cancel();
}

void SweepControl::pause() {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_paused = true;
  for (auto& [id, control] : m_running) control->pause();
}

void SweepControl::resume() {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_paused = false;
  for (auto& [id, control] : m_running) control->resume();
}

void SweepControl::stopTrial(int trialId) {
  std::lock_guard<std::mutex> lock(m_mutex);
  const auto it = m_running.find(trialId);
  if (it == m_running.end()) return;
  m_userStopped.push_back(trialId);
  it->second->cancel();
}

void SweepControl::pauseTrial(int trialId) {
  std::lock_guard<std::mutex> lock(m_mutex);
  if (const auto it = m_running.find(trialId); it != m_running.end()) it->second->pause();
}

void SweepControl::resumeTrial(int trialId) {
  std::lock_guard<std::mutex> lock(m_mutex);
  if (const auto it = m_running.find(trialId); it != m_running.end()) it->second->resume();
}

bool SweepControl::isStopped() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_stopped;
}

bool SweepControl::isPaused() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_paused;
}

std::shared_ptr<RunControl> SweepControl::attach(int trialId) {
  std::lock_guard<std::mutex> lock(m_mutex);
  auto control = std::make_shared<RunControl>();
  if (m_paused) control->pause();
  if (m_stopped) control->cancel();
  m_running[trialId] = control;
  return control;
}

void SweepControl::detach(int trialId) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_running.erase(trialId);
}

bool SweepControl::userStopped(int trialId) const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return std::find(m_userStopped.begin(), m_userStopped.end(), trialId) != m_userStopped.end();
}

}  // namespace distill
