#pragma once

// One model of a run and what the run keeps about it between steps.

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "distill/config.h"
#include "distill/run_phase.h"
#include "models/language_model.h"
#include "train/evaluation.h"
#include "train/trainer.h"

namespace distill {

struct CorpusView;

/// Tokens per second over the steps since it was last read (the live metric).
class ThroughputMeter {
public:
  void add(int64_t tokens, double seconds) {
    m_tokens += tokens;
    m_seconds += seconds;
  }
  double take() {
    const double rate = m_seconds > 0.0 ? static_cast<double>(m_tokens) / m_seconds : 0.0;
    m_tokens = 0;
    m_seconds = 0.0;
    return rate;
  }

private:
  int64_t m_tokens = 0;
  double m_seconds = 0.0;
};

struct TrainedModel {
  std::unique_ptr<ModelTrainer> trainer;  // null for a teacher loaded from a checkpoint
  LanguageModel model;
  std::string name;
  ModelRole role = ModelRole::Teacher;
  DistillConfig distill;  // distilled students: their own settings (global ones unless overridden)
  ThroughputMeter meter;
  int64_t trainTokens = 0;
  double trainSeconds = 0.0;
  EvalResult lastEval;
  int steps = 0;
  at::Generator onPolicyGenerator;  // on-policy students: their own samples' randomness
  CorpusView* view = nullptr;       // a student with its own tokenizer (null: the run's corpus)

  bool distilled() const { return role == ModelRole::Distilled; }
};

}  // namespace distill
