#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace distill {

/// Pause, resume and cancel a run from any thread. The training thread calls checkpoint() between
/// steps: it blocks while paused and returns false once cancelled.
class RunControl {
public:
  void pause();
  void resume();
  void cancel();

  bool isPaused() const { return m_paused.load(); }
  bool isCancelled() const { return m_cancelled.load(); }

  /// Training thread only. Waits while paused; returns false when the run must stop.
  bool checkpoint();

private:
  std::atomic<bool> m_paused{false};
  std::atomic<bool> m_cancelled{false};
  std::mutex m_mutex;
  std::condition_variable m_wake;
};

}  // namespace distill
