// The run from top to bottom, and the small services its phases share.

#include "run/experiment_run.h"

#include "train/bits_per_char.h"

#include <cmath>
#include <limits>

#include "distill/errors.h"
#include "distill/metric_names.h"
#include "models/sampling.h"

namespace distill {

ExperimentRun::ExperimentRun(ExperimentConfig config, const RunOptions& options, RunObserver& observer,
                             RunControl& control, int threads, const ResumePoint* resume, Collective* group)
    : m_config(std::move(config)),
      m_options(options),
      m_observer(observer),
      m_control(control),
      m_threads(threads),
      m_resume(resume),
      m_group(group) {}

RunResult ExperimentRun::run() {
  RunResult result;
  try {
    prepare();
    if (m_store) result.runDir = m_store->dir();
    const bool completed = trainRepeats();
    if (lead()) saveAll();
    m_observer.onPhase(RunPhase::Finishing, 0);
    if (!completed && !m_teacherValLogits.empty()) {
      // Stopped between evaluations: measure where the students really are.
      for (auto& m : m_students) measureOnValidation(m);
    }
    result.status = completed ? RunResult::Status::Completed : RunResult::Status::Cancelled;
    if (!lead()) return result;  // the last collective is behind: rank 0 writes the rest
    result.models = summarize(completed && m_options.measureSpeed);
    m_store->setComputeUse(computeUse());
    m_store->writeSummary(m_config.name, completed ? "completed" : "cancelled", "", result.models);
    if (completed) removeResumePoints(m_store->dir());  // the final checkpoints are what stays
    m_store->writeMethodsTable(result.models);
    m_observer.onMessage(std::string(completed ? "run completed: " : "run stopped: ") + m_store->dir());
  } catch (const std::exception& e) {
    recordFailure(result, e);
  }
  return result;
}

void ExperimentRun::useTrainedTeacher(TrainedModel& teacher) {
  evaluateModel(teacher, teacher.steps, false);
  if (lead()) saveCheckpoint(checkpointOf(teacher), *teacher.model, infoFor(teacher));
}

void ExperimentRun::recordFailure(RunResult& result, const std::exception& e) {
  // c10::Error, YAML and filesystem errors all derive from std::exception; keep the first line.
  std::string message = e.what();
  if (auto* c10error = dynamic_cast<const c10::Error*>(&e)) message = c10error->what_without_backtrace();
  message = message.substr(0, message.find('\n'));
  result.status = RunResult::Status::Failed;
  result.error = message;
  if (!m_store) return;
  try {
    m_store->setComputeUse(computeUse());
    m_store->writeSummary(m_config.name, "failed", message, result.models);
  } catch (const std::exception&) {
    // The disk is what failed: the error is still returned to the caller.
  }
}

double ExperimentRun::elapsed() const {
  return m_elapsedBefore + std::chrono::duration<double>(Clock::now() - m_start).count() - m_pausedSeconds;
}

bool ExperimentRun::waitWhilePaused() {
  const auto before = Clock::now();
  const bool go = m_control.checkpoint();
  m_pausedSeconds += std::chrono::duration<double>(Clock::now() - before).count();
  return go;
}

void ExperimentRun::publish(std::vector<MetricPoint> points) {
  if (points.empty() || !lead()) return;
  if (m_config.train.repeats > 1)
    for (auto& p : points) p.repeat = m_repeat;
  m_store->appendMetrics(points);
  m_observer.onMetrics(points);
}

Batch ExperimentRun::shardOf(const Batch& global) const {
  Batch mine = global;
  if (m_group) {
    const int64_t rows = m_config.train.batch_size;
    const int64_t begin = rows * m_group->rank();
    mine = global.rows(begin, begin + rows);
  }
  return onDevice(mine, m_device);
}

int ExperimentRun::resumedSteps(RunPhase phase) const {
  return m_resume && m_resume->phase == phase ? m_resume->step : 0;
}

std::vector<TrainedModel*> ExperimentRun::modelsOf(RunPhase phase) {
  std::vector<TrainedModel*> out;
  if (phase == RunPhase::Teacher) {
    out.push_back(&m_teachers.at(m_teacherInTraining));
  } else {
    for (auto& m : m_students) out.push_back(&m);
  }
  return out;
}

CheckpointInfo ExperimentRun::infoFor(const TrainedModel& m) const {
  CheckpointInfo info;
  info.modelName = m.name;
  info.spec = m.model->spec();
  info.vocabSize = m.model->vocabSize();
  info.blockSize = m.model->contextLimit() > 0 ? m.model->contextLimit() : m_config.data.block_size;
  info.step = m.steps;
  info.tokenizer = tokenizerOf(m);
  return info;
}

void ExperimentRun::reportProgress(RunPhase phase, int step, int total, int stepsBefore, double phaseStart,
                                   int64_t tokensSoFar, std::vector<MetricPoint> latest) {
  const double phaseSeconds = elapsed() - phaseStart;
  ProgressInfo p;
  p.phase = phase;
  p.step = step;
  p.totalSteps = total;
  p.phaseSeconds = phaseSeconds;
  const int stepsNow = step - stepsBefore;
  p.etaSeconds = stepsNow > 0 ? phaseSeconds / stepsNow * (total - step) : 0.0;
  p.tokensPerSecond = phaseSeconds > 0.0 ? static_cast<double>(tokensSoFar) / phaseSeconds : 0.0;
  p.processes = worldSize();
  p.repeat = m_repeat;
  p.repeats = m_config.train.repeats;
  if (p.repeats > 1)
    for (auto& point : latest) point.repeat = m_repeat;
  p.latest = std::move(latest);
  p.compute = computeUse();
  m_observer.onProgress(p);
}

ComputeUse ExperimentRun::computeUse() const {
  ComputeUse use;
  use.device = deviceName(m_device);
  use.precision = nameOf(m_config.train.precision);
  use.peakMemoryBytes = peakMemoryBytes(m_device);
  use.peakMemoryOf = m_device.is_cuda() ? "cuda allocator" : "process resident set";
  return use;
}

const Tokenizer& ExperimentRun::tokenizerOf(const TrainedModel& m) const {
  return m.view ? m.view->corpus.tokenizer : m_corpus.tokenizer;
}

void ExperimentRun::measureOnValidation(TrainedModel& m) {
  if (m.view) {
    // Its own tokens: agreement and KL with the teacher compare nothing across vocabularies.
    m.lastEval = evaluate(*m.model, m.view->valBatches);
    m.lastEval.agreement = m.lastEval.klFromTeacher = std::numeric_limits<double>::quiet_NaN();
    m.lastEval.bitsPerChar = bitsPerCharacter(m.lastEval.loss, m.view->charsPerToken);
    return;
  }
  const bool isTeacher = m.role == ModelRole::Teacher;
  m.lastEval = evaluate(*m.model, m_valBatches, isTeacher ? nullptr : &m_teacherValLogits, m_group,
                        isTeacher ? nullptr : &m_memberValLogits);
  m.lastEval.bitsPerChar = bitsPerCharacter(m.lastEval.loss, m_valCharsPerToken);
}

void ExperimentRun::evaluateModel(TrainedModel& m, int step, bool withSamples) {
  const bool isTeacher = m.role == ModelRole::Teacher;
  measureOnValidation(m);
  std::vector<MetricPoint> points = {
      {m.name, step, elapsed(), metric::kValLoss, m.lastEval.loss},
      {m.name, step, elapsed(), metric::kValBitsPerChar, m.lastEval.bitsPerChar}};
  if (!isTeacher && !m.view) {
    points.push_back({m.name, step, elapsed(), metric::kValAgreement, m.lastEval.agreement});
    points.push_back({m.name, step, elapsed(), metric::kValKlFromTeacher, m.lastEval.klFromTeacher});
    // An ensemble's members one by one (the two above are against the ensemble).
    for (size_t i = 0; i < m.lastEval.byTeacher.size(); ++i) {
      const auto& member = m_teachers[i].name;
      points.push_back(
          {m.name, step, elapsed(), metric::agreementWith(member), m.lastEval.byTeacher[i].agreement});
      points.push_back({m.name, step, elapsed(), metric::klFrom(member), m.lastEval.byTeacher[i].kl});
    }
  }
  publish(points);
  if (!withSamples || !lead()) return;
  const auto& g = m_config.generate;
  SamplingOptions options{
      g.max_new_tokens, g.temperature, g.top_k, g.top_p, static_cast<uint64_t>(g.seed), false};
  for (const auto& prompt : samplePrompts()) {
    const auto& tokenizer = tokenizerOf(m);
    const auto ids =
        generateIds(*m.model, tokenizer.encode(prompt), options, [this] { return !m_control.isCancelled(); });
    SampleRecord sample{m.name, step, prompt, tokenizer.decode(ids),
                        m_config.train.repeats > 1 ? m_repeat : 0};
    m_store->appendSample(sample);
    m_observer.onSample(sample);
  }
}

std::vector<std::string> ExperimentRun::samplePrompts() const {
  if (m_corpus.valExamples.empty()) return m_config.generate.prompts;
  std::vector<std::string> prompts;
  for (size_t i = 0; i < std::min<size_t>(3, m_corpus.valExamples.size()); ++i)
    prompts.push_back(m_corpus.valExamples[i].prompt);
  return prompts;
}

void requireFiniteTeacherLogits(const torch::Tensor& logits, const std::string& where) {
  const float largest = logits.max().item<float>();  // max propagates NaN
  if (std::isnan(largest) || (std::isinf(largest) && largest > 0))
    throw EngineError("model 'teacher': its logits on " + where + " contain " +
                      (std::isnan(largest) ? "NaN" : "+Inf") +
                      " (a pretrained teacher whose weights overflow or are damaged?)");
}

}  // namespace distill
