#pragma once

// The engine's view of a c10d process group: sums and broadcasts of CPU tensors, plus the store
// through which rank 0 hands the others the run's settings. Nothing here names c10d, so the rest
// of the engine compiles whether or not the build has it.

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "distill/distributed.h"
#include "distill/errors.h"

namespace distill {

/// A collective failed or timed out: another rank died, hangs or lost its connection.
class RankLostError : public EngineError {
public:
  using EngineError::EngineError;
};

class Collective {
public:
  virtual ~Collective() = default;
  virtual int rank() const = 0;
  virtual int worldSize() const = 0;
  bool isLead() const { return rank() == 0; }

  /// Sums `flat` (one contiguous tensor) across ranks in place. Every rank makes the same calls
  /// with the same shapes in the same order. Throws RankLostError.
  virtual void sumInPlace(torch::Tensor& flat) = 0;
  /// Overwrites `flat` with rank `root`'s. Throws RankLostError.
  virtual void broadcastInPlace(torch::Tensor& flat, int root) = 0;
  /// Rank 0 publishes a value under `key`; fetch() waits for it (up to the timeout).
  virtual void publish(const std::string& key, const std::string& value) = 0;
  virtual std::string fetch(const std::string& key) = 0;

  /// Sums every tensor across ranks, in one collective (same dtype for all).
  void sum(const std::vector<torch::Tensor>& tensors);
  /// Sets every tensor to rank `root`'s, in one collective (same dtype for all).
  void broadcast(const std::vector<torch::Tensor>& tensors, int root = 0);
};

/// Joins the group described by `options` (rank 0 serves the store unless torchrun's agent does).
/// `onListening(port)` runs on rank 0 once its store accepts connections, before waiting for the
/// others: where local workers are started. Throws EngineError when the build has no c10d or the
/// others do not arrive within the timeout.
std::unique_ptr<Collective> joinGroup(const DistributedOptions& options,
                                      const std::function<void(int port)>& onListening = {});

}  // namespace distill
