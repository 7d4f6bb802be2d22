#pragma once

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "data/corpus.h"
#include "distill/config.h"
#include "distill/errors.h"
#include "kd/loss_terms.h"
#include "kd/student_loss.h"
#include "models/language_model.h"
#include "util/compute_device.h"

namespace distill {

/// A step whose loss or gradient is NaN or Inf; the model's weights were left untouched.
class NonFiniteLossError : public EngineError {
public:
  using EngineError::EngineError;
};

/// Learning rate at `step` (0-based): linear warmup, then cosine decay to min_lr at totalSteps.
double learningRateAt(int step, int totalSteps, const TrainConfig& train);

struct StepLosses {
  double loss = 0.0;  ///< what was optimised
  LossTerms<std::optional<double>> terms;
  double lr = 0.0;
  double seconds = 0.0;  ///< wall time of this model's forward/backward/update
  bool skipped = false;  ///< fp16: the gradients overflowed, the update was skipped (scale halved)
};

/// model.forward(x) without gradient in `precision`, its rows split into up to `workers` chunks
/// computed side by side on one thread each on the CPU (see ModelTrainer::setParallelism); one
/// chunk on a GPU.
torch::Tensor forwardInChunks(LanguageModelImpl& model, const torch::Tensor& x, int workers,
                              Precision precision = Precision::Fp32);

class Collective;

/// A step between its backward pass and its update: the gradients wait in the parameters' .grad.
struct PendingStep {
  std::chrono::steady_clock::time_point start;
  double lr = 0.0;
  double loss = 0.0;  ///< NaN/Inf: backward was skipped on this process
  LossTerms<std::optional<double>> terms;
};

/// Owns one model's optimisation: AdamW (decay on matrices only), schedule, clipping.
class ModelTrainer {
public:
  /// `features`: a student with feature losses; its projections train with the model.
  ModelTrainer(std::string name, LanguageModel model, const TrainConfig& train, int totalSteps,
               std::unique_ptr<FeatureSetup> features = nullptr);

  /// One optimiser step. With `targets` the loss is studentLoss() with `distill`; otherwise plain
  /// cross-entropy. Throws NonFiniteLossError on a NaN/Inf loss or gradient norm, before touching
  /// the weights (the optimizer's moments are untouched too).
  StepLosses step(const Batch& batch, const SoftTargets* targets = nullptr,
                  const DistillConfig* distill = nullptr);

  /// step() in two halves, so that data-parallel ranks can average gradients in between
  /// (averageAcrossRanks). computeGradients never throws on a NaN/Inf loss; applyGradients does.
  PendingStep computeGradients(const Batch& batch, const SoftTargets* targets = nullptr,
                               const DistillConfig* distill = nullptr);
  StepLosses applyGradients(const PendingStep& pending);

  /// Splits every batch into up to `workers` row chunks whose forward and backward passes run side
  /// by side on one thread each (1: the whole batch on the calling thread; always 1 on a GPU). The loss is
  /// then the rows-weighted mean of the chunks' losses: the same as the whole batch's up to rounding.
  void setParallelism(int workers);

  /// Changes the peak learning rate from the next step on; min_lr keeps its ratio to it.
  void setPeakLearningRate(double lr);

  /// What continues training exactly where it stopped, besides the model's weights: optimizer
  /// moments, step count, the (possibly live-changed) learning rates and feature projections.
  void saveState(torch::serialize::OutputArchive& archive) const;
  /// Restores saveState()'s archive; throws EngineError when it belongs to another model shape.
  void loadState(torch::serialize::InputArchive& archive);

  const std::string& name() const { return m_name; }
  const LanguageModel& model() const { return m_model; }
  int stepsDone() const { return m_step; }
  int totalSteps() const { return m_totalSteps; }
  /// The model's parameters and the feature projections': what is optimised (and kept in sync
  /// across data-parallel ranks).
  const std::vector<torch::Tensor>& parameters() const { return m_parameters; }

private:
  StudentLoss lossOn(const Batch& batch, const SoftTargets* targets, const DistillConfig* distill);

  std::string m_name;
  int m_parallelism = 1;
  LanguageModel m_model;
  TrainConfig m_train;
  int m_totalSteps;
  int m_step = 0;
  std::unique_ptr<FeatureSetup> m_features;
  std::vector<torch::Tensor> m_parameters;  ///< the model's and the projections': clipped together
  std::unique_ptr<torch::optim::AdamW> m_optimizer;
  LossScaler m_scaler;  ///< fp16 only
};

/// Averages the pending steps' gradients and losses over all ranks in one all-reduce, so that each
/// rank's update is the one a single process would make on the concatenated batch. Every rank
/// passes its trainers in the same order. A gradient absent on every rank stays absent.
void averageAcrossRanks(Collective& group, const std::vector<ModelTrainer*>& trainers,
                        const std::vector<PendingStep*>& pending);

}  // namespace distill
