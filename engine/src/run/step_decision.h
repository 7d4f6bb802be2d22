#pragma once

// What rank 0 of a data-parallel group decides before each step — go, wait (paused) or stop, and
// any live setting changes — as one typed message every rank receives by broadcast.

#include <torch/torch.h>

#include "distill/run_control.h"

namespace distill {

struct StepDecision {
  enum class State { Go = 0, Paused = 1, Stop = 2 };
  State state = State::Go;
  LiveSettings changes;  ///< only with Go

  /// The float64 tensor a broadcast carries (absent changes as NaN), and back.
  torch::Tensor pack() const;
  static StepDecision unpack(const torch::Tensor& message);

  bool operator==(const StepDecision& o) const;
};

}  // namespace distill
