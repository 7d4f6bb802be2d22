#pragma once

#include <cstdint>

namespace distill {

/// How to pick each next token.
struct SamplingOptions {
  int maxNewTokens = 200;
  double temperature = 0.8;  ///< 0 or `greedy` picks the most likely token
  int topK = 40;             ///< 0: off
  double topP = 1.0;         ///< nucleus sampling; 1: off
  uint64_t seed = 42;
  bool greedy = false;
};

}  // namespace distill
