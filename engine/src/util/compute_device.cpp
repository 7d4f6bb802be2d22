#include "util/compute_device.h"

#include <ATen/autocast_mode.h>
#include <sys/resource.h>

#include <cmath>
#include <regex>

#include "distill/errors.h"

#if defined(DISTILL_WITH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

// LibTorch 2.4 made autocast's switches take the device type; 1.13 has one switch per device.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define DISTILL_AUTOCAST_BY_DEVICE_TYPE 1
#endif

namespace distill {

namespace {

struct DeviceSetting {
  bool autoPick = false;
  bool cuda = false;
  int index = -1;  ///< cuda:N; -1: the default (first) GPU
};

std::optional<DeviceSetting> parseDeviceSetting(const std::string& setting) {
  if (setting == "auto") return DeviceSetting{true, false, -1};
  if (setting == "cpu") return DeviceSetting{false, false, -1};
  if (setting == "cuda") return DeviceSetting{false, true, -1};
  static const std::regex indexed("cuda:([0-9]{1,3})");
  std::smatch match;
  if (std::regex_match(setting, match, indexed)) return DeviceSetting{false, true, std::stoi(match[1])};
  return std::nullopt;
}

std::string gpuCountText(int count) {
  return count == 0 ? "this LibTorch (" + std::to_string(TORCH_VERSION_MAJOR) + "." +
                          std::to_string(TORCH_VERSION_MINOR) + ") sees no CUDA GPU"
                    : "this machine has " + std::to_string(count) + " CUDA GPU(s)";
}

}  // namespace

int cudaDeviceCount() { return static_cast<int>(torch::cuda::device_count()); }

std::optional<ConfigProblem> computeProblem(const TrainConfig& train) {
  const auto setting = parseDeviceSetting(train.device);
  if (!setting)
    return ConfigProblem{"train.device", 0, 0,
                         "must be auto, cpu, cuda or cuda:N, not '" + train.device + "'"};
  const int gpus = setting->cuda || setting->autoPick ? cudaDeviceCount() : 0;
  if (setting->cuda && gpus == 0)
    return ConfigProblem{"train.device", 0, 0,
                         "is '" + train.device + "' but " + gpuCountText(0) +
                             " (set auto or cpu; a CUDA build of LibTorch comes with DISTILL_LIBTORCH=pypi)"};
  if (setting->cuda && setting->index >= gpus)
    return ConfigProblem{"train.device", 0, 0, "is '" + train.device + "' but " + gpuCountText(gpus)};
  const bool onCpu = !setting->cuda && gpus == 0;
  if (train.precision == Precision::Fp16 && onCpu)
    return ConfigProblem{"train.precision", 0, 0,
                         "fp16 needs a CUDA device (it trains on " + train.device +
                             " = the CPU here); on the CPU use bf16 or fp32"};
  return std::nullopt;
}

torch::Device resolveDevice(const std::string& setting, int localRank) {
  const auto parsed = parseDeviceSetting(setting);
  if (!parsed) throw EngineError("train.device: must be auto, cpu, cuda or cuda:N, not '" + setting + "'");
  if (!parsed->cuda && !parsed->autoPick) return torch::Device(torch::kCPU);
  const int gpus = cudaDeviceCount();
  if (gpus == 0) {
    if (parsed->autoPick) return torch::Device(torch::kCPU);
    throw EngineError("train.device: is '" + setting + "' but " + gpuCountText(0));
  }
  const int index = parsed->index >= 0 ? parsed->index : localRank % gpus;
  if (index >= gpus) throw EngineError("train.device: is '" + setting + "' but " + gpuCountText(gpus));
  return torch::Device(torch::kCUDA, static_cast<torch::DeviceIndex>(index));
}

std::string deviceName(const torch::Device& device) {
  if (device.is_cuda()) return "cuda:" + std::to_string(device.has_index() ? device.index() : 0);
  return device.str();
}

int64_t peakMemoryBytes(const torch::Device& device) {
#if defined(DISTILL_WITH_CUDA)
  if (device.is_cuda()) {
    // allocated_bytes[0]: the aggregate over all pool kinds.
    const auto stats =
        c10::cuda::CUDACachingAllocator::getDeviceStats(device.has_index() ? device.index() : 0);
    return stats.allocated_bytes[0].peak;
  }
#else
  (void)device;
#endif
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux reports kilobytes
}

AutocastScope::AutocastScope(torch::DeviceType device, Precision precision) {
  if (precision == Precision::Fp32) return;
  m_active = true;
  m_device = device;
  const auto type = precision == Precision::Bf16 ? torch::kBFloat16 : torch::kHalf;
#if defined(DISTILL_AUTOCAST_BY_DEVICE_TYPE)
  m_wasEnabled = at::autocast::is_autocast_enabled(device);
  m_previousType = at::autocast::get_autocast_dtype(device);
  at::autocast::set_autocast_dtype(device, type);
  at::autocast::set_autocast_enabled(device, true);
#else
  const bool cuda = device == torch::kCUDA;
  m_wasEnabled = cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
  m_previousType = cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
  if (cuda) {
    at::autocast::set_autocast_gpu_dtype(type);
    at::autocast::set_enabled(true);
  } else {
    at::autocast::set_autocast_cpu_dtype(type);
    at::autocast::set_cpu_enabled(true);
  }
#endif
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!m_active) return;
  // The casts of the weights are cached while autocast is on; the outermost scope drops them, so
  // the next step sees the updated weights.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if defined(DISTILL_AUTOCAST_BY_DEVICE_TYPE)
  at::autocast::set_autocast_enabled(m_device, m_wasEnabled);
  at::autocast::set_autocast_dtype(m_device, m_previousType);
#else
  if (m_device == torch::kCUDA) {
    at::autocast::set_enabled(m_wasEnabled);
    at::autocast::set_autocast_gpu_dtype(m_previousType);
  } else {
    at::autocast::set_cpu_enabled(m_wasEnabled);
    at::autocast::set_autocast_cpu_dtype(m_previousType);
  }
#endif
}

LossScaler::LossScaler(bool enabled, double initialScale, int growthInterval)
    : m_enabled(enabled), m_scale(initialScale), m_growthInterval(growthInterval) {}

void LossScaler::unscale(const std::vector<torch::Tensor>& parameters) const {
  if (!m_enabled) return;
  torch::NoGradGuard noGrad;
  for (const auto& p : parameters)
    if (p.grad().defined()) p.grad().mul_(1.0 / m_scale);
}

bool LossScaler::update(bool gradientsFinite) {
  if (!m_enabled) return true;
  if (!gradientsFinite) {
    m_scale /= 2.0;
    m_goodSteps = 0;
    return false;
  }
  if (++m_goodSteps >= m_growthInterval) {
    m_scale *= 2.0;
    m_goodSteps = 0;
  }
  return true;
}

}  // namespace distill
