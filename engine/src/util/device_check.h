#pragma once

// Whether train.device and train.precision can work on this machine: a plain-C++ declaration, so
// the configuration's validation asks without including LibTorch (see compute_device.h).

#include <optional>

#include "distill/config.h"

namespace distill {

/// What keeps `train.device` / `train.precision` from working on this machine, naming the key
/// (cuda without a GPU, a GPU index out of range, fp16 on the CPU), if anything.
std::optional<ConfigProblem> computeProblem(const TrainConfig& train);

}  // namespace distill
