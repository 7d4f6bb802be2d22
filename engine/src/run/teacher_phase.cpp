// The teacher phase: the teacher trains alone on the corpus, on every core.

#include "distill/metric_names.h"
#include "run/experiment_run.h"

namespace distill {

bool ExperimentRun::trainTeacher() {
  const auto& t = m_config.train;
  const int total = t.steps;
  m_observer.onPhase(RunPhase::Teacher, total);
  BatchSampler sampler(m_corpus.train, m_config.data.block_size, globalBatchSize(),
                       static_cast<uint64_t>(teacherSeed()), m_corpus.trainResponse);
  const double phaseStart = elapsed();
  const int resumed = resumedSteps(RunPhase::Teacher);
  if (resumed > 0) {
    sampler.restore(m_resume->state.at("batch_sampler").get<std::string>());
  } else {
    evaluateModel(m_teacher, 0, false);
  }
  for (int step = resumed + 1; step <= total; ++step) {
    if (!proceed(step)) {
      saveResumePoint(RunPhase::Teacher, step - 1, total, sampler.state());
      return false;
    }
    const auto batch = shardOf(sampler.next());
    std::vector<StepLosses> results;
    if (!stepAll(
            step, {&m_teacher}, 1, [&](size_t) { return m_teacher.trainer->computeGradients(batch); },
            results))
      return false;
    const StepLosses& losses = results[0];
    m_teacher.steps = step;
    m_teacher.meter.add(tokensPerStep(), losses.seconds);
    m_teacher.trainTokens += tokensPerStep();
    m_teacher.trainSeconds += losses.seconds;
    std::vector<MetricPoint> latest = {{"teacher", step, elapsed(), metric::kTrainLoss, losses.loss}};
    if (step % t.log_interval == 0 || step == total) {
      auto points = latest;
      points.push_back({"teacher", step, elapsed(), metric::kLearningRate, losses.lr});
      points.push_back({"teacher", step, elapsed(), metric::kTokensPerSecond, m_teacher.meter.take()});
      publish(points);
    }
    if (step % t.eval_interval == 0 || step == total) evaluateModel(m_teacher, step, true);
    reportProgress(RunPhase::Teacher, step, total, resumed, phaseStart, tokensPerStep() * (step - resumed),
                   latest);
    if (t.checkpoint_interval > 0 && step % t.checkpoint_interval == 0 && step < total)
      saveResumePoint(RunPhase::Teacher, step, total, sampler.state());
  }
  if (lead()) {
    saveCheckpoint(checkpointOf(m_teacher), *m_teacher.model, infoFor(m_teacher));
    m_observer.onMessage("teacher checkpoint written: " + checkpointOf(m_teacher));
  }
  // A crash while caching resumes here.
  if (resumed < total) saveResumePoint(RunPhase::Teacher, total, total, sampler.state());
  return true;
}

}  // namespace distill
