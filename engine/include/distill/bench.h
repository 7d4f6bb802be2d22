#pragma once

// `distill bench`: the engine's training step on fixed shapes, timed, for comparison with the
// Python peer (shared/peers/ref_distill.py) on the same shapes. Plain C++ types only.

#include <string>

namespace distill {

struct BenchOptions {
  std::string config = "small";  ///< small | nanogpt (the peer's CONFIGS) | wide (6×384, block 256, batch 16)
  int steps = 20;                ///< timed steps per figure, after 3 warm-up steps
  int threads = 0;               ///< 0: one per core (configureThreads)
  std::string device = "cpu";
  std::string precision = "fp32";  ///< fp32 | bf16 | fp16 (train.precision's autocast)
};

struct BenchResult {
  std::string config;
  std::string device;
  std::string precision;
  std::string attention;  ///< "sdpa" (LibTorch >= 2's fused kernel) or "math" (explicit product)
  std::string torchVersion;
  int threads = 0;
  long long teacherParams = 0;
  long long studentParams = 0;
  double teacherTrainTokensPerSecond = 0.0;  ///< teacher: forward, cross-entropy, backward, AdamW
  double studentKdTokensPerSecond = 0.0;     ///< teacher forward (no grad) + student KD step
  double teacherTrainGflops = 0.0;           ///< achieved by the teacher's training step (model FLOPs)
  double matmulPeakGflops = 0.0;             ///< float32 2048² matmuls through LibTorch, all cores busy
};

/// Throws EngineError for an unknown config, device or precision.
BenchResult runTrainingBench(const BenchOptions& options);

}  // namespace distill
