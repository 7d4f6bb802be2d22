// Stepping models in lockstep: forward/backward side by side, gradients averaged across ranks,
// updates; a model whose loss or gradient turns NaN/Inf fails the run or pauses it for a retry.

#include <optional>

#include "run/experiment_run.h"
#include "util/threads.h"

namespace distill {

std::vector<std::exception_ptr> ExperimentRun::stepModels(const std::vector<TrainedModel*>& models,
                                                          int workers,
                                                          const std::function<PendingStep(size_t)>& compute,
                                                          std::vector<StepLosses>& results) {
  const size_t n = models.size();
  std::vector<PendingStep> pending(n);
  std::vector<std::exception_ptr> faults(n);
  results.resize(n);
  // One model alone keeps every BLAS thread (its batch rows are split over them); several share
  // the cores one thread each, since the teacher's forward before them used them all.
  std::optional<BlasThreadsScope> oneBlasThreadEach;
  if (n > 1) oneBlasThreadEach.emplace(1);
  auto sideBySide = [&](const std::function<void(size_t)>& job) {
    if (n == 1) {
      job(0);
      return;
    }
    for (const auto& failure : runSideBySide(n, workers, job))
      if (failure) std::rethrow_exception(failure);
  };
  sideBySide([&](size_t i) { pending[i] = compute(i); });
  if (m_group) {
    std::vector<ModelTrainer*> trainers;
    std::vector<PendingStep*> steps;
    for (size_t i = 0; i < n; ++i) {
      trainers.push_back(models[i]->trainer.get());
      steps.push_back(&pending[i]);
    }
    averageAcrossRanks(*m_group, trainers, steps);
  }
  sideBySide([&](size_t i) {
    try {
      results[i] = models[i]->trainer->applyGradients(pending[i]);
    } catch (const NonFiniteLossError&) {
      faults[i] = std::current_exception();  // the same on every rank: the losses were averaged
    }
  });
  return faults;
}

bool ExperimentRun::stepAll(int step, const std::vector<TrainedModel*>& models, int workers,
                            const std::function<PendingStep(size_t)>& compute,
                            std::vector<StepLosses>& results) {
  std::vector<size_t> todo(models.size());
  for (size_t i = 0; i < todo.size(); ++i) todo[i] = i;
  results.resize(models.size());
  while (!todo.empty()) {
    std::vector<TrainedModel*> some;
    for (size_t i : todo) some.push_back(models[i]);
    std::vector<StepLosses> someResults;
    const auto faults = stepModels(
        some, workers, [&](size_t k) { return compute(todo[k]); }, someResults);
    std::vector<size_t> again;
    std::exception_ptr fault;
    for (size_t k = 0; k < todo.size(); ++k) {
      if (faults[k]) {
        again.push_back(todo[k]);
        if (!fault) fault = faults[k];
      } else {
        results[todo[k]] = someResults[k];
      }
    }
    if (!fault) return true;
    if (!m_options.pauseOnNonFinite) std::rethrow_exception(fault);
    try {
      std::rethrow_exception(fault);
    } catch (const NonFiniteLossError& e) {
      if (lead()) {
        m_observer.onFault(std::string(e.what()) +
                           " - the run is paused; lower the learning rate and resume");
        m_control.pause();
      }
    }
    if (!proceed(step)) return false;  // every rank waits here for rank 0's resume
    todo = again;
  }
  return true;
}

}  // namespace distill
