#pragma once

#include <string>

namespace distill {

/// The exclusive writer's lock of a run folder: `flock` on <run>/run.lock, held while the object
/// lives. The kernel drops it when the process dies, so a killed run never blocks the next writer;
/// a live one makes the constructor throw EngineError naming its PID, host and start time.
/// Readers (runs list, generate, reports) never take it.
class RunFolderLock {
public:
  explicit RunFolderLock(const std::string& runDir);
  ~RunFolderLock();
  RunFolderLock(const RunFolderLock&) = delete;
  RunFolderLock& operator=(const RunFolderLock&) = delete;

  /// Whether some process holds the lock of `runDir` now (a cheap, non-blocking probe).
  static bool isHeld(const std::string& runDir);

private:
  int m_fd = -1;
};

}  // namespace distill
