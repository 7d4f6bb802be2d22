#pragma once

// Where and in which precision a run computes: train.device and train.precision resolved against
// what this LibTorch build and this machine offer, the autocast scope that applies a precision to
// the forward passes of one thread, and fp16's loss scaling.

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "distill/config.h"
#include "util/device_check.h"

namespace distill {

/// CUDA devices this LibTorch sees (0 in a CPU-only build such as Debian's).
int cudaDeviceCount();

/// train.device as a device: "auto" is cuda:(rank % GPUs) when there are GPUs, else the CPU (so
/// data-parallel ranks on one machine take one GPU each). Throws EngineError naming train.device.
torch::Device resolveDevice(const std::string& setting, int localRank = 0);

/// "cpu", "cuda:0", ... (a CUDA device always with its index).
std::string deviceName(const torch::Device& device);

/// Highest memory the run's tensors held on `device` so far, in bytes: the CUDA caching
/// allocator's peak on a GPU, the process's peak resident set on the CPU (it includes more than
/// tensors, and says so where it is shown).
int64_t peakMemoryBytes(const torch::Device& device);

/// Autocast on `device`'s type in `precision` for the calling thread while alive (fp32: nothing).
/// Autocast is per thread: every thread that runs a forward pass opens its own scope.
class AutocastScope {
public:
  AutocastScope(torch::DeviceType device, Precision precision);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

private:
  bool m_active = false;
  torch::DeviceType m_device = torch::kCPU;
  bool m_wasEnabled = false;
  torch::ScalarType m_previousType = torch::kFloat;
};

/// Dynamic loss scaling for fp16 (bf16 and fp32 need none): the loss is multiplied by a scale
/// before backward so small gradients survive in half precision; the gradients are divided by it
/// before clipping. An overflow skips the step and halves the scale; `growthInterval` good steps
/// in a row double it.
class LossScaler {
public:
  explicit LossScaler(bool enabled, double initialScale = 65536.0, int growthInterval = 2000);
  bool enabled() const { return m_enabled; }
  double scale() const { return m_enabled ? m_scale : 1.0; }
  /// Divides the gradients by the scale (before clipping).
  void unscale(const std::vector<torch::Tensor>& parameters) const;
  /// After a step's gradient norm is known: true when the step may go on; false (and the scale
  /// halved) when the gradients overflowed and the step must be skipped.
  bool update(bool gradientsFinite);

private:
  bool m_enabled;
  double m_scale;
  int m_growthInterval;
  int m_goodSteps = 0;
};

}  // namespace distill
