#pragma once

// Ctrl-C and SIGTERM: the handler only sets a lock-free flag; long work polls it and stops cleanly.

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace distill::cli {

/// Routes SIGINT and SIGTERM to the flag below (idempotent).
void catchInterrupts();
/// Whether Ctrl-C or SIGTERM arrived since catchInterrupts().
bool interrupted();

/// While it lives, a thread polls interrupted() (10 times a second) and, the first time it is
/// set, prints `message` to stderr and calls stop() (a run's or a sweep's control). Routes the
/// signals itself.
class InterruptWatcher {
public:
  InterruptWatcher(std::string message, std::function<void()> stop);
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

private:
  std::atomic<bool> m_done{false};
  std::thread m_thread;
};

}  // namespace distill::cli
