#pragma once

// Tiny experiments for the GUI tests: seconds, not minutes.
#include <string>

#include "distill/config.h"

inline distill::ExperimentConfig tinyUiExperiment(int steps) {
  auto loaded = distill::parseExperiment(
      "name: ui\n"
      "data: {block_size: 16}\n"
      "teacher: {layers: 1, heads: 2, embd: 16}\n"
      "students: [{name: tf, layers: 1, heads: 2, embd: 8}, {name: rnn, arch: gru, embd: 8, hidden: 8}]\n"
      "train: {steps: " +
          std::to_string(steps) +
          ", batch_size: 4, eval_interval: 20, eval_batches: 1, threads: 1}\n"
          "generate: {prompts: [\"ROMEO:\"], max_new_tokens: 8}\n",
      ".");
  return loaded.config;
}
