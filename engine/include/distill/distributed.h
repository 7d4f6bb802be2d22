#pragma once

// Data-parallel training over processes and machines with PyTorch's c10d (Gloo on CPU): where this
// process sits in the group and how it meets the others. See docs/distributed.md.

#include <optional>
#include <string>

namespace distill {

struct DistributedOptions {
  int rank = 0;
  int worldSize = 1;  ///< 1: a single process, no group
  std::string masterAddr = "127.0.0.1";
  int masterPort = 0;  ///< 0 on rank 0: any free port (local workers are told which)
  /// A collective or the rendezvous waiting longer than this fails the run: another rank died,
  /// hangs or never started.
  double timeoutSeconds = 60.0;
  /// torchrun's agent already serves the store at MASTER_ADDR:MASTER_PORT; rank 0 joins it.
  bool agentStore = false;
  /// Rank 0 of a local run starts ranks 1..worldSize-1 as `<workerExecutable> worker` itself.
  std::string workerExecutable;
  /// Processes of this run on this machine: automatic thread counts share the cores among them.
  int localProcesses = 1;

  bool active() const { return worldSize > 1; }
};

/// Whether this build has c10d with Gloo (Debian's libtorch-dev + libgloo-dev do).
bool distributedSupported();

/// The torchrun / Slurm-wrapper environment: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (LOCAL_RANK
/// is informational on CPU). Nullopt when RANK and WORLD_SIZE are unset; throws EngineError naming
/// the variable when one is missing or not a number. DISTILL_DIST_TIMEOUT (seconds) sets the timeout.
std::optional<DistributedOptions> distributedFromEnvironment();

}  // namespace distill
