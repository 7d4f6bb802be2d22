#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

namespace distill {

/// Settings a user may change while a run goes; each takes effect at the next step.
struct LiveSettings {
  std::optional<double> lr;  ///< new peak learning rate (min_lr scales with it)
  std::optional<double> temperature;
  std::optional<double> alpha;
  std::optional<int> evalInterval;

  bool empty() const { return !lr && !temperature && !alpha && !evalInterval; }
};

/// Pause, resume and cancel a run from any thread. The training thread calls checkpoint() between
/// steps: it blocks while paused and returns false once cancelled.
class RunControl {
public:
  void pause();
  void resume();
  void cancel();

  bool isPaused() const { return m_paused.load(); }
  bool isCancelled() const { return m_cancelled.load(); }

  /// Queues setting changes (later calls override earlier ones of the same key).
  void changeSettings(const LiveSettings& settings);

  /// Training thread only. Waits while paused; returns false when the run must stop.
  bool checkpoint();
  /// checkpoint() that waits at most `maxWait` while paused: nullopt when still paused then.
  std::optional<bool> checkpointFor(std::chrono::milliseconds maxWait);
  /// Training thread only: the changes queued since the last call.
  LiveSettings takeSettings();

private:
  std::atomic<bool> m_paused{false};
  std::atomic<bool> m_cancelled{false};
  std::mutex m_mutex;
  std::condition_variable m_wake;
  LiveSettings m_pending;  // guarded by m_mutex
};

}  // namespace distill
