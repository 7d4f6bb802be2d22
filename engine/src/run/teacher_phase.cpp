// The teacher phase: each teacher trains alone on the corpus, on every core — the one teacher, or
// an ensemble's members in turn (a pretrained member is evaluated and saved instead).

#include "distill/metric_names.h"
#include "run/experiment_run.h"

namespace distill {

bool ExperimentRun::trainTeachers() {
  // A resume point of the teacher phase belongs to one member: those before it have finished.
  const size_t resumedMember = m_resume && m_resume->phase == RunPhase::Teacher ? m_teacherInTraining : 0;
  for (size_t i = 0; i < m_teachers.size(); ++i) {
    TrainedModel& teacher = m_teachers[i];
    if (!teacher.trainer) {
      m_observer.onPhase(RunPhase::Teacher, 0);
      if (i >= resumedMember) useTrainedTeacher(teacher);
      continue;
    }
    if (i < resumedMember) {
      measureOnValidation(teacher);  // trained before the checkpoint; its numbers are in the run
      continue;
    }
    m_teacherInTraining = i;
    if (!trainTeacher(teacher, i)) {
      if (lead()) saveCheckpoint(checkpointOf(teacher), *teacher.model, infoFor(teacher));
      return false;
    }
  }
  return true;
}

bool ExperimentRun::trainTeacher(TrainedModel& teacher, size_t index) {
  const auto& t = m_config.train;
  const int total = t.steps;
  m_observer.onPhase(RunPhase::Teacher, total);
  if (m_teachers.size() > 1) m_observer.onMessage("training " + teacher.name);
  // Each member of an ensemble sees its own batch order (the first the teacher's).
  BatchSampler sampler(m_corpus.train, m_config.data.block_size, globalBatchSize(),
                       static_cast<uint64_t>(teacherSeed()) + index, m_corpus.trainResponse);
  const double phaseStart = elapsed();
  const bool resuming = m_resume && m_resume->phase == RunPhase::Teacher && index == m_teacherInTraining &&
                        resumedSteps(RunPhase::Teacher) > 0;
  const int resumed = resuming ? resumedSteps(RunPhase::Teacher) : 0;
  if (resuming) {
    sampler.restore(m_resume->state.at("batch_sampler").get<std::string>());
    if (resumed == total) measureOnValidation(teacher);  // its phase had ended: no step evaluates it
  } else {
    evaluateModel(teacher, 0, false);
  }
  for (int step = resumed + 1; step <= total; ++step) {
    if (!proceed(step)) {
      saveResumePoint(RunPhase::Teacher, step - 1, total, sampler.state());
      return false;
    }
    const auto batch = shardOf(sampler.next());
    std::vector<StepLosses> results;
    if (!stepAll(
            step, {&teacher}, 1, [&](size_t) { return teacher.trainer->computeGradients(batch); }, results))
      return false;
    const StepLosses& losses = results[0];
    teacher.steps = step;
    teacher.meter.add(tokensPerStep(), losses.seconds);
    teacher.trainTokens += tokensPerStep();
    teacher.trainSeconds += losses.seconds;
    std::vector<MetricPoint> latest = {{teacher.name, step, elapsed(), metric::kTrainLoss, losses.loss}};
    if (step % t.log_interval == 0 || step == total) {
      auto points = latest;
      points.push_back({teacher.name, step, elapsed(), metric::kLearningRate, losses.lr});
      points.push_back({teacher.name, step, elapsed(), metric::kTokensPerSecond, teacher.meter.take()});
      publish(points);
    }
    if (step % t.eval_interval == 0 || step == total) evaluateModel(teacher, step, true);
    reportProgress(RunPhase::Teacher, step, total, resumed, phaseStart, tokensPerStep() * (step - resumed),
                   latest);
    if (t.checkpoint_interval > 0 && step % t.checkpoint_interval == 0 && step < total)
      saveResumePoint(RunPhase::Teacher, step, total, sampler.state());
  }
  if (lead()) {
    saveCheckpoint(checkpointOf(teacher), *teacher.model, infoFor(teacher));
    m_observer.onMessage(teacher.name + " checkpoint written: " + checkpointOf(teacher));
  }
  // A crash while caching (or while the next member trains) resumes here.
  if (resumed < total) saveResumePoint(RunPhase::Teacher, total, total, sampler.state());
  return true;
}

}  // namespace distill
