#pragma once

// Rank 0 of a local data-parallel run starts the other ranks as child processes of its own
// (`distill worker`), watches them and cleans up after them.

#include <sys/types.h>
#include <chrono>
#include <string>
#include <vector>

#include "distill/distributed.h"

namespace distill {

class LocalWorkers {
public:
  LocalWorkers() = default;
  LocalWorkers(const LocalWorkers&) = delete;
  LocalWorkers& operator=(const LocalWorkers&) = delete;
  /// Waits briefly for the workers to finish, then kills what is left.
  ~LocalWorkers();

  /// Starts ranks 1..options.worldSize-1 as `<options.workerExecutable> worker` with the torchrun
  /// variables set for rank 0's store at `port`. Throws EngineError when one cannot be started.
  void start(const DistributedOptions& options, int port);

  /// Which workers have ended abnormally ("rank 1 (pid 42) was killed by signal 9"), empty when
  /// none: waits up to `grace` for one to show (a run that failed), else returns at once.
  std::string failures(std::chrono::milliseconds grace = std::chrono::milliseconds(0));

  std::vector<pid_t> pids() const { return m_pids; }

private:
  std::vector<pid_t> m_pids;        ///< index: rank - 1
  std::vector<std::string> m_ends;  ///< how each ended; empty while running
};

}  // namespace distill
