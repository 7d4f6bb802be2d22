// The student phase: every distilled student beside its scratch twin, in lockstep on the same
// corpus batches, each distilled one reading its targets from its regime's source.

#include "distill/metric_names.h"
#include "distill/schedule.h"
#include "kd/teacher_ensemble.h"
#include "run/experiment_run.h"
#include "run/target_source.h"

namespace distill {

namespace {

/// Each student's settings at `step`: temperature and alpha follow their schedules (a live change
/// resets them to constant).
std::vector<DistillConfig> scheduledSettings(const std::vector<TrainedModel>& students, int step, int total) {
  std::vector<DistillConfig> now;
  for (const auto& m : students) {
    const auto& d = m.distill;
    DistillConfig current = d;
    current.temperature =
        scheduledValue(d.temperature_schedule, d.temperature, d.temperature_end, step - 1, total);
    current.alpha = scheduledValue(d.alpha_schedule, d.alpha, d.alpha_end, step - 1, total);
    now.push_back(current);
  }
  return now;
}

/// One model's logged numbers of a step: its loss terms, learning rate and schedule values.
void logStep(std::vector<MetricPoint>& out, TrainedModel& m, const StepLosses& losses,
             const DistillConfig& now, int step, double at) {
  out.push_back({m.name, step, at, metric::kTrainLoss, losses.loss});
  losses.terms.forEach([&](const char* name, const std::optional<double>& value) {
    if (value) out.push_back({m.name, step, at, name, *value});
  });
  out.push_back({m.name, step, at, metric::kLearningRate, losses.lr});
  if (m.distilled() && (m.distill.temperature_schedule != Schedule::Constant ||
                        m.distill.alpha_schedule != Schedule::Constant)) {
    out.push_back({m.name, step, at, metric::kTemperature, now.temperature});
    out.push_back({m.name, step, at, metric::kAlpha, now.alpha});
  }
}

}  // namespace

bool ExperimentRun::trainStudents() {
  const auto& t = m_config.train;
  const int total = m_config.studentSteps();
  if (m_students.empty()) return true;
  m_observer.onPhase(RunPhase::Students, total);
  computeTeacherValLogits();
  const uint64_t samplerSeed = static_cast<uint64_t>(seed()) + 1;  // batch order: the repeat's
  auto sources = TargetSources::open(*this, total, samplerSeed);
  if (!sources) return false;
  if (sources->teacherWroteData())
    m_observer.onPhase(RunPhase::Students, total);  // back from the teacher's pass
  BatchSampler sampler(m_corpus.train, m_config.data.block_size, globalBatchSize(), samplerSeed,
                       m_corpus.trainResponse);
  for (auto& view : m_views)  // students' own tokens: windows of their stream, the run's seed
    view->sampler = std::make_unique<BatchSampler>(view->corpus.train, m_config.data.block_size,
                                                   globalBatchSize(), samplerSeed);
  const double phaseStart = elapsed();
  auto savePoint = [&](int step) {
    saveResumePoint(RunPhase::Students, step, total, sampler.state(), sources->samplerState());
  };
  const int resumed = resumedSteps(RunPhase::Students);
  if (m_resume && m_resume->phase == RunPhase::Students) {
    sampler.restore(m_resume->state.at("batch_sampler").get<std::string>());
    sources->restoreSampler(m_resume->state.at("sequence_sampler").get<std::string>());
    const auto views = m_resume->state.value("view_samplers", nlohmann::json::array());
    for (size_t v = 0; v < m_views.size() && v < views.size(); ++v)
      m_views[v]->sampler->restore(views[v].get<std::string>());
  } else {
    for (auto& m : m_students) evaluateModel(m, 0, false);
    savePoint(0);
  }
  for (auto& teacher : m_teachers) teacher.model->eval();
  for (int step = resumed + 1; step <= total; ++step) {
    if (!proceed(step)) {
      savePoint(step - 1);
      return false;
    }
    std::vector<MetricPoint> latest;
    if (!studentStep(step, total, sampler, *sources, latest)) return false;
    if (step % t.eval_interval == 0 || step == total)
      for (auto& m : m_students) evaluateModel(m, step, true);
    reportProgress(RunPhase::Students, step, total, resumed, phaseStart,
                   tokensPerStep() * (step - resumed) * static_cast<int64_t>(m_students.size()), latest);
    if (t.checkpoint_interval > 0 && step % t.checkpoint_interval == 0 && step < total) savePoint(step);
  }
  return true;
}

void ExperimentRun::computeTeacherValLogits() {
  m_memberValLogits.clear();
  for (auto& teacher : m_teachers) {
    m_memberValLogits.push_back(teacherLogitsFor(*teacher.model, m_valBatches, m_group));
    for (const auto& logits : m_memberValLogits.back())
      if (logits.defined()) requireFiniteTeacherLogits(logits, "the validation batches");
  }
  if (m_teachers.size() == 1) {
    m_teacherValLogits = std::move(m_memberValLogits.front());
    m_memberValLogits.clear();
    return;
  }
  // The ensemble as the run's distill.ensemble combines it, at T = 1 (per_teacher: the mean
  // distribution, the one a single student's argmax could agree with).
  std::vector<double> weights;
  for (const auto& t : m_config.teachers) weights.push_back(t.weight);
  weights = normalizedWeights(weights);
  m_teacherValLogits.assign(m_valBatches.size(), torch::Tensor());
  for (size_t b = 0; b < m_valBatches.size(); ++b) {
    std::vector<torch::Tensor> members;
    for (const auto& member : m_memberValLogits)
      if (member[b].defined()) members.push_back(member[b]);
    if (members.size() == m_memberValLogits.size())
      m_teacherValLogits[b] =
          combinedTeacherLogits(torch::stack(members), weights, m_config.distill.ensemble, 1.0);
  }
}

bool ExperimentRun::studentStep(int step, int total, BatchSampler& sampler, TargetSources& sources,
                                std::vector<MetricPoint>& latest) {
  const auto stepStart = Clock::now();
  const auto distillNow = scheduledSettings(m_students, step, total);
  const auto batch = shardOf(sampler.next());
  for (auto& view : m_views) view->current = shardOf(view->sampler->next());  // own tokens' windows
  sources.beginStep(step, batch);
  // Each distilled student's batch and targets; one teacher pass serves all who share a batch.
  std::vector<StudentInput> inputs;
  for (const auto& m : m_students) inputs.push_back({m.view ? m.view->current : batch, nullptr});
  for (size_t i = 0; i < m_students.size(); ++i)
    if (m_students[i].distilled()) inputs[i] = sources.inputFor(i, m_students[i], distillNow[i], step);
  auto compute = [&](size_t i) {
    auto& m = m_students[i];
    if (!m.distilled()) return m.trainer->computeGradients(inputs[i].batch);
    return m.trainer->computeGradients(inputs[i].batch, inputs[i].targets, &distillNow[i]);
  };
  // The students are independent given the batch and the teacher's logits: they step side by
  // side, one thread each, and the step ends when all have (lockstep).
  std::vector<TrainedModel*> students;
  for (auto& m : m_students) students.push_back(&m);
  std::vector<StepLosses> results;
  if (!stepAll(step, students, m_threads, compute, results)) return false;
  const bool log = step % m_config.train.log_interval == 0 || step == total;
  std::vector<MetricPoint> logged;
  // The students step side by side, so no one of them has a rate of its own here: the phase's rate
  // is every student's tokens per wall second of the step, the teacher's passes included (each
  // model's own cost is measured alone at the end: summary.json's train_tokens_per_s).
  const double stepSeconds = std::chrono::duration<double>(Clock::now() - stepStart).count();
  m_studentsMeter.add(tokensPerStep() * static_cast<int64_t>(m_students.size()), stepSeconds);
  for (size_t i = 0; i < m_students.size(); ++i) {
    auto& m = m_students[i];
    m.steps = step;
    m.trainTokens += tokensPerStep();
    m.trainSeconds += results[i].seconds;
    latest.push_back({m.name, step, elapsed(), metric::kTrainLoss, results[i].loss});
    if (log) logStep(logged, m, results[i], distillNow[i], step, elapsed());
  }
  if (log) logged.push_back({"students", step, elapsed(), metric::kTokensPerSecond, m_studentsMeter.take()});
  publish(logged);
  return true;
}

}  // namespace distill
