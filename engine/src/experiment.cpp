#include "distill/experiment.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <thread>

#include "checkpoint.h"
#include "collective.h"
#include "corpus.h"
#include "distill/errors.h"
#include "distill/metric_names.h"
#include "distill/run_reader.h"
#include "distill/schedule.h"
#include "evaluation.h"
#include "hf_import.h"
#include "local_workers.h"
#include "logit_cache.h"
#include "model_factory.h"
#include "resume_point.h"
#include "run_store.h"
#include "sampling.h"
#include "teacher_sequences.h"
#include "threads.h"
#include "trainer.h"

namespace distill {

namespace {

using Clock = std::chrono::steady_clock;

/// Tokens per second of one model over the steps since it was last read.
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
  std::string role;
  DistillConfig distill;  // distilled students: their own settings (global ones unless overridden)
  ThroughputMeter meter;
  int64_t trainTokens = 0;
  double trainSeconds = 0.0;
  EvalResult lastEval;
  int steps = 0;
  at::Generator onPolicyGenerator;  // on-policy students: their own samples' randomness
};

/// Tokens per second of `generate` (returns how many tokens it made): the median of 3 timings.
double medianTokensPerSecond(const std::function<size_t()>& generate) {
  std::vector<double> rates;
  for (int i = 0; i < 3; ++i) {
    const auto begin = Clock::now();
    const size_t tokens = generate();
    const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
    rates.push_back(seconds > 0.0 ? static_cast<double>(tokens) / seconds : 0.0);
  }
  std::sort(rates.begin(), rates.end());
  return rates[1];
}

/// On-policy steps are spread evenly: step s is one when ⌊s·λ⌋ moves past ⌊(s−1)·λ⌋.
bool isOnPolicyStep(int step, double fraction) {
  return std::floor(step * fraction) > std::floor((step - 1) * fraction);
}

/// A NaN or +Inf teacher logit would vanish silently inside the KL-type losses (its probability
/// fails p > 0), so it stops the run instead. -Inf is a legitimate "never" and passes.
void requireFiniteTeacherLogits(const torch::Tensor& logits, const std::string& where) {
  const float largest = logits.max().item<float>();  // max propagates NaN
  if (std::isnan(largest) || (std::isinf(largest) && largest > 0))
    throw EngineError("model 'teacher': its logits on " + where + " contain " + (std::isnan(largest) ? "NaN" : "+Inf") +
                      " (a pretrained teacher whose weights overflow or are damaged?)");
}

/// Whether a student needs the teacher's distribution on its batch this step.
bool needsTeacherTargets(const DistillConfig& now) { return now.alpha > 0.0 || now.usesFeatures(); }

/// The run in progress: owns the corpus, models and run store; one per runExperiment call.
class ExperimentRun {
public:
  /// `resume`: continue from this checkpoint in its run directory (null: a new run).
  /// `group`: this process's data-parallel group (null: one process).
  ExperimentRun(ExperimentConfig config, const RunOptions& options, RunObserver& observer, RunControl& control,
                int threads, const ResumePoint* resume = nullptr, Collective* group = nullptr)
      : m_config(std::move(config)), m_options(options), m_observer(observer), m_control(control), m_threads(threads),
        m_resume(resume), m_group(group) {}

  RunResult run();

private:
  /// Training time of the run: wall time since it started (plus before the checkpoint it resumed
  /// from), pauses left out, so curves against time, rates and ETAs show work, not waiting.
  double elapsed() const {
    return m_elapsedBefore + std::chrono::duration<double>(Clock::now() - m_start).count() - m_pausedSeconds;
  }
  /// m_control.checkpoint() with its waiting time (a pause) kept out of elapsed().
  bool waitWhilePaused() {
    const auto before = Clock::now();
    const bool go = m_control.checkpoint();
    m_pausedSeconds += std::chrono::duration<double>(Clock::now() - before).count();
    return go;
  }
  void emit(const std::vector<MetricPoint>& points);
  void prepare();
  bool trainTeacher();
  bool trainStudents();
  void evaluateModel(TrainedModel& m, int step, bool withSamples);
  void saveAll();
  /// The teacher's top-k logits for every student step, from distill.cache_path when it matches,
  /// else computed now into the run directory. Null when the run was cancelled meanwhile.
  std::unique_ptr<LogitCache> openOrBuildCache(const DistillConfig& settings, int steps, uint64_t samplerSeed);
  /// Sequence-level KD's training set: from distill.sequence_path when it matches, else generated
  /// by the teacher now into the run directory. Undefined when the run was cancelled meanwhile.
  torch::Tensor openOrBuildSequences(const DistillConfig& settings);
  /// What decides the sequence set of these settings (students with equal headers share one).
  SequenceSetHeader sequenceHeaderFor(const DistillConfig& settings) const;
  /// The teacher's logits (and trace, when `trace` is given) on `x`, as a student's targets.
  SoftTargets teacherTargets(const torch::Tensor& x, ForwardTrace* trace, int step);
  std::unique_ptr<FeatureSetup> featureSetupFor(const StudentConfig& student, const DistillConfig& d) const;
  /// Between steps: waits while paused, takes live setting changes; false when the run must stop.
  /// Ranks of a group follow rank 0's RunControl (it broadcasts its decision every step).
  bool proceed(int step);
  void applyLiveSettings(int step, const LiveSettings& changes);
  /// Rank 0 alone writes the run directory and talks to the observer about training.
  bool lead() const { return !m_group || m_group->isLead(); }
  /// This rank's rows of a global batch (all of it without a group).
  Batch shardOf(const Batch& global) const;
  /// Rows drawn per step across all ranks.
  int globalBatchSize() const { return m_config.train.batch_size * worldSize(); }
  /// Processes training this run (1 without a group).
  int worldSize() const { return m_group ? m_group->worldSize() : 1; }
  /// Every rank starts from rank 0's weights.
  void synchronizeWeights();
  /// Forward/backward of `models` (side by side on up to `workers` threads), gradients averaged
  /// across ranks, updates. Per model: its losses, or the NaN/Inf fault that left it untouched.
  std::vector<std::exception_ptr> stepModels(const std::vector<TrainedModel*>& models, int workers,
                                             const std::function<PendingStep(size_t)>& compute,
                                             std::vector<StepLosses>& results);
  /// Steps `models` until each has stepped; a NaN/Inf fault fails the run, or (GUI) pauses it and
  /// retries the faulty models after resume. False when the run was cancelled meanwhile.
  bool stepAll(int step, const std::vector<TrainedModel*>& models, int workers,
               const std::function<PendingStep(size_t)>& compute, std::vector<StepLosses>& results);
  /// The global distillation settings and every student's: a live change applies to all.
  std::vector<DistillConfig*> allDistillSettings();
  std::vector<ModelSummary> summarize(bool measureGeneration);
  CheckpointInfo infoFor(const TrainedModel& m) const;
  /// The models trained in a phase: the teacher, or the students.
  std::vector<TrainedModel*> modelsOf(const std::string& phase);
  /// Steps of `phase` already done by the checkpoint this run resumes from (0: none).
  int resumedSteps(const std::string& phase) const { return m_resume && m_resume->phase == phase ? m_resume->step : 0; }
  /// Writes a resumable checkpoint of `phase` after `step` (see resume_point.h).
  void saveResumePoint(const std::string& phase, int step, int totalSteps, const std::string& samplerState,
                       const std::string& sequenceSamplerState = {});
  /// Loads the weights, optimizer and random states of the resumed checkpoint into the models.
  void restoreResumePoint();
  /// `stepsBefore`: steps of the phase done before this process took it up (a resumed run); the
  /// rate and ETA are measured over this process's own steps only.
  void reportProgress(const std::string& phase, int step, int total, int stepsBefore, double phaseStart,
                      int64_t tokensSoFar, std::vector<MetricPoint> latest);

  ExperimentConfig m_config;
  RunOptions m_options;
  RunObserver& m_observer;
  RunControl& m_control;
  int m_threads;
  const ResumePoint* m_resume;
  Collective* m_group;
  Clock::time_point m_start = Clock::now();
  double m_elapsedBefore = 0.0;  // training time of the run before the checkpoint it resumed from
  double m_pausedSeconds = 0.0;  // time this process waited while the run was paused
  std::unique_ptr<RunStore> m_store;
  Corpus m_corpus;
  std::vector<Batch> m_valBatches;
  std::vector<torch::Tensor> m_teacherValLogits;
  TrainedModel m_teacher;
  std::vector<TrainedModel> m_students;  // pairs: <name>-kd, <name>-scratch
  double m_lastProgressReport = -1.0;
};

void ExperimentRun::emit(const std::vector<MetricPoint>& points) {
  if (points.empty() || !lead()) return;
  m_store->appendMetrics(points);
  m_observer.onMetrics(points);
}

CheckpointInfo ExperimentRun::infoFor(const TrainedModel& m) const {
  CheckpointInfo info;
  info.modelName = m.name;
  info.spec = m.model->spec();
  info.vocabSize = m.model->vocabSize();
  info.blockSize = m.model->contextLimit() > 0 ? m.model->contextLimit() : m_config.data.block_size;
  info.step = m.steps;
  info.tokenizer = m_corpus.tokenizer;
  return info;
}

void ExperimentRun::prepare() {
  const auto& t = m_config.train;
  m_teacher.name = "teacher";
  m_teacher.role = "teacher";
  std::unique_ptr<LoadedModel> loadedTeacher;
  std::string teacherSource;
  if (!m_config.teacher.checkpoint.empty()) {
    loadedTeacher = std::make_unique<LoadedModel>(loadCheckpoint(m_config.teacher.checkpoint));
    teacherSource = "teacher checkpoint " + m_config.teacher.checkpoint;
    m_corpus = loadCorpus(m_config.data, &loadedTeacher->info.tokenizer);
  } else if (!m_config.teacher.hf.empty()) {
    m_observer.onMessage("importing the teacher from " + m_config.teacher.hf);
    auto imported = importHuggingFaceModel(m_config.teacher.hf);
    loadedTeacher = std::make_unique<LoadedModel>();
    loadedTeacher->model = imported.model;
    loadedTeacher->info.spec = imported.model->spec();
    loadedTeacher->info.blockSize = imported.contextLength;
    teacherSource = "imported teacher " + m_config.teacher.hf;
    m_corpus = loadCorpus(withTokenizerResolved(m_config.data, m_config.teacher));
    if (m_corpus.tokenizer.vocabSize() > imported.model->vocabSize())
      throw EngineError("the tokenizer has " + std::to_string(m_corpus.tokenizer.vocabSize()) + " tokens but " +
                        teacherSource + " knows only " + std::to_string(imported.model->vocabSize()) +
                        " (is it the teacher's tokenizer?)");
  } else {
    m_corpus = loadCorpus(m_config.data);
  }
  if (loadedTeacher) {
    const auto& info = loadedTeacher->info;
    if (info.spec.isTransformer() && info.blockSize < m_config.data.block_size) {
      throw EngineError(teacherSource + " has a context of " + std::to_string(info.blockSize) +
                        " tokens but data.block_size is " + std::to_string(m_config.data.block_size) +
                        " (lower data.block_size)");
    }
    m_config.teacher.model = info.spec;  // the resolved config records what was really used
    // A DistilGPT2-style student takes the teacher's architecture and widths with its own depth.
    for (auto& s : m_config.students) {
      if (!s.init_from_teacher) continue;
      const int layers = s.model.layers;
      s.model = info.spec;
      s.model.layers = layers;
      if (layers > info.spec.layers)
        throw EngineError("student '" + s.name + "': init_from_teacher with " + std::to_string(layers) +
                          " layers, but the teacher has " + std::to_string(info.spec.layers));
    }
  }
  m_config.data.corpus = m_corpus.path;  // config.yaml records the file really read

  if (lead()) {
    const std::string dir = m_options.outDir.empty() ? RunStore::newRunDirectory(m_options.runsRoot, m_config.name)
                                                     : m_options.outDir;
    if (m_resume) {
      const RunStore::Lengths resumeAt{m_resume->state.at("metrics_bytes").get<uint64_t>(),
                                       m_resume->state.at("samples_bytes").get<uint64_t>()};
      m_store = std::make_unique<RunStore>(dir, &resumeAt, m_resume->writerLock);
    } else {
      m_store = std::make_unique<RunStore>(dir);
      m_store->writeConfig(experimentToYaml(m_config));
    }
    m_store->writeWorldSize(worldSize());
    m_observer.onRunDirectory(dir);
  }

  // Students predict over the teacher's ids (an imported model may have more than its tokenizer).
  const int64_t vocab = loadedTeacher ? loadedTeacher->model->vocabSize() : m_corpus.tokenizer.vocabSize();
  if (loadedTeacher) {
    m_teacher.model = loadedTeacher->model;
    m_teacher.steps = loadedTeacher->info.step;
    m_observer.onMessage(teacherSource + " (" + std::to_string(m_teacher.model->parameterCount()) + " parameters)");
  } else {
    torch::manual_seed(t.seed);
    m_teacher.model = makeModel(m_config.teacher.model, vocab, m_config.data.block_size);
    m_teacher.trainer = std::make_unique<ModelTrainer>("teacher", m_teacher.model, t, t.steps);
    m_teacher.trainer->setParallelism(m_threads);  // one model: its batch rows share the cores
  }
  m_valBatches = fixedBatches(m_corpus.val, m_config.data.block_size, t.batch_size, t.eval_batches,
                              static_cast<uint64_t>(t.seed) + 2);

  const int studentSteps = m_config.studentSteps();
  for (size_t i = 0; i < m_config.students.size(); ++i) {
    const auto& s = m_config.students[i];
    torch::manual_seed(s.init_seed >= 0 ? s.init_seed : t.seed + 1 + static_cast<int>(i));
    auto add = [&](LanguageModel model, const std::string& suffix, const std::string& role) {
      TrainedModel m;
      m.name = s.name + suffix;
      m.role = role;
      m.model = model;
      m.distill = s.distill.value_or(m_config.distill);
      auto features = role == "distilled" ? featureSetupFor(s, m.distill) : nullptr;
      m.trainer = std::make_unique<ModelTrainer>(m.name, model, t, studentSteps, std::move(features));
      m.onPolicyGenerator = makeSamplingGenerator(static_cast<uint64_t>(t.seed) + 1000 + i);
      m_students.push_back(std::move(m));
    };
    auto distilled = makeModel(s.model, vocab, m_config.data.block_size);
    if (s.init_from_teacher) {
      initFromTeacherLayers(m_teacher.model, distilled);
      m_observer.onMessage(s.name + ": initialised from " + std::to_string(s.model.layers) + " of the teacher's " +
                           std::to_string(m_teacher.model->spec().layers) + " layers");
    }
    add(distilled, "-kd", "distilled");
    if (s.scratch_twin) {
      auto scratch = makeModel(s.model, vocab, m_config.data.block_size);
      copyWeights(distilled, scratch);  // the twin starts from the very same weights
      add(scratch, "-scratch", "scratch");
    }
  }
  if (m_resume) restoreResumePoint();
  if (m_group) synchronizeWeights();
}

void ExperimentRun::synchronizeWeights() {
  // Seeds make the ranks' initial weights equal already; the broadcast guarantees it (and covers a
  // teacher that a rank read from a different copy of its file).
  std::vector<torch::Tensor> weights = m_teacher.model->parameters();
  for (auto& m : m_students)
    for (const auto& p : m.trainer->parameters()) weights.push_back(p);
  m_group->broadcast(weights, 0);
  // Dropout masks come from LibTorch's default generator, equal on every rank so far: each rank
  // gets its own stream (derived from the seed, rank and resumed step, so runs stay repeatable).
  if (!lead()) {
    const int resumed = m_resume ? m_resume->step : 0;
    torch::manual_seed(static_cast<uint64_t>(m_config.train.seed) * 1000003ULL + static_cast<uint64_t>(m_group->rank()) * 7919ULL +
                       static_cast<uint64_t>(resumed));
  }
}

Batch ExperimentRun::shardOf(const Batch& global) const {
  if (!m_group) return global;
  const int64_t rows = m_config.train.batch_size;
  const int64_t begin = rows * m_group->rank();
  return {global.x.slice(0, begin, begin + rows), global.y.slice(0, begin, begin + rows)};
}

std::vector<TrainedModel*> ExperimentRun::modelsOf(const std::string& phase) {
  std::vector<TrainedModel*> out;
  if (phase == "teacher") {
    out.push_back(&m_teacher);
  } else {
    for (auto& m : m_students) out.push_back(&m);
  }
  return out;
}

void ExperimentRun::saveResumePoint(const std::string& phase, int step, int totalSteps, const std::string& samplerState,
                                    const std::string& sequenceSamplerState) {
  if (!lead()) return;  // the ranks' states are equal: rank 0's serves all of them
  ResumePointWriter writer(m_store->dir(), phase, step, m_config.train.keep_checkpoints);
  const auto lengths = m_store->lengths();
  nlohmann::json state = {{"format", 1},
                          {"phase", phase},
                          {"step", step},
                          {"total_steps", totalSteps},
                          {"config", experimentToYaml(m_config)},  // live changes included
                          {"elapsed_s", elapsed()},
                          {"metrics_bytes", lengths.metrics},
                          {"samples_bytes", lengths.samples},
                          {"corpus_tokens", m_corpus.train.numel() + m_corpus.val.numel()},
                          {"batch_sampler", samplerState},
                          {"sequence_sampler", sequenceSamplerState},
                          {"world_size", worldSize()},
                          {"models", nlohmann::json::array()}};
  const auto models = modelsOf(phase);
  for (size_t i = 0; i < models.size(); ++i) {
    const TrainedModel& m = *models[i];
    saveCheckpoint(writer.modelPath(m.name), *m.model, infoFor(m));
    torch::serialize::OutputArchive trainer;
    m.trainer->saveState(trainer);
    writer.archive().write("trainer_" + std::to_string(i), trainer);
    if (m.onPolicyGenerator.defined())
      writer.archive().write("sampling_rng_" + std::to_string(i), m.onPolicyGenerator.get_state());
    state["models"].push_back(
        {{"name", m.name}, {"steps", m.steps}, {"train_tokens", m.trainTokens}, {"train_seconds", m.trainSeconds}});
  }
  {
    // Dropout masks come from LibTorch's default generator.
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    writer.archive().write("torch_rng", generator.get_state());
  }
  writer.commit(state);
}

void ExperimentRun::restoreResumePoint() {
  const auto& state = m_resume->state;
  const int64_t corpusTokens = m_corpus.train.numel() + m_corpus.val.numel();
  if (state.at("corpus_tokens").get<int64_t>() != corpusTokens)
    throw EngineError("cannot resume: the corpus " + m_corpus.path + " has " + std::to_string(corpusTokens) +
                      " tokens now, " + std::to_string(state.at("corpus_tokens").get<int64_t>()) +
                      " at the checkpoint (it changed since)");
  auto archive = m_resume->openArchive();
  const auto models = modelsOf(m_resume->phase);
  const auto& saved = state.at("models");
  for (size_t i = 0; i < models.size(); ++i) {
    TrainedModel& m = *models[i];
    if (i >= saved.size() || saved[i].at("name").get<std::string>() != m.name)
      throw EngineError("cannot resume: " + m_resume->dir + " has no state for model '" + m.name + "'");
    const auto loaded = loadCheckpoint(m_resume->modelPath(m.name));
    if (loaded.model->parameterCount() != m.model->parameterCount())
      throw EngineError("cannot resume: " + m_resume->modelPath(m.name) + " holds a model of another shape");
    copyWeights(loaded.model, m.model);
    torch::serialize::InputArchive trainer;
    archive.read("trainer_" + std::to_string(i), trainer);
    m.trainer->loadState(trainer);
    if (m.onPolicyGenerator.defined()) {
      torch::Tensor rng;
      archive.read("sampling_rng_" + std::to_string(i), rng);
      m.onPolicyGenerator.set_state(rng);
    }
    m.steps = saved[i].at("steps").get<int>();
    m.trainTokens = saved[i].at("train_tokens").get<int64_t>();
    m.trainSeconds = saved[i].at("train_seconds").get<double>();
  }
  if (m_resume->phase == "students" && m_teacher.trainer && lead()) {
    // The trained teacher was saved when its phase ended.
    const auto teacher = loadCheckpoint(m_store->checkpointPath("teacher"));
    copyWeights(teacher.model, m_teacher.model);
    m_teacher.steps = teacher.info.step;
  }
  {
    torch::Tensor rng;
    archive.read("torch_rng", rng);
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(rng);
  }
  m_elapsedBefore = state.at("elapsed_s").get<double>();
  const int savedWorld = state.value("world_size", 1);
  const int world = worldSize();
  if (savedWorld != world)
    m_observer.onMessage("the checkpoint was written by " + std::to_string(savedWorld) + " process(es), this run has " +
                         std::to_string(world) + ": the global batch changes from here on");
  m_observer.onMessage("resuming " + (m_store ? m_store->dir() : m_resume->dir) + " from " + m_resume->phase + " step " +
                       std::to_string(m_resume->step) + " of " + std::to_string(state.value("total_steps", 0)));
}

std::unique_ptr<FeatureSetup> ExperimentRun::featureSetupFor(const StudentConfig& student, const DistillConfig& d) const {
  if (!d.usesFeatures()) return nullptr;
  const auto& teacher = m_teacher.model->spec();
  // Validation checked a configured teacher; one from a checkpoint is checked here.
  if (!teacher.isTransformer())
    throw EngineError("student '" + student.name + "': feature losses need a transformer teacher (the checkpoint holds " +
                      teacher.arch + ")");
  for (int layer : d.layer_map) {
    if (layer > teacher.layers)
      throw EngineError("student '" + student.name + "': layer_map names teacher layer " + std::to_string(layer) +
                        " but the teacher has " + std::to_string(teacher.layers));
  }
  auto setup = std::make_unique<FeatureSetup>();
  setup->layerMap = resolveLayerMap(d.layer_map, student.model.layers, teacher.layers);
  setup->projector = FeatureProjector(student.model.layers, student.model.embd, teacher.embd);
  return setup;
}

SoftTargets ExperimentRun::teacherTargets(const torch::Tensor& x, ForwardTrace* trace, int step) {
  torch::NoGradGuard noGrad;
  SoftTargets targets;
  targets.teacherLogits = trace ? m_teacher.model->forwardWithTrace(x, *trace) : forwardInChunks(*m_teacher.model, x, m_threads);
  requireFiniteTeacherLogits(targets.teacherLogits, "student step " + std::to_string(step));
  targets.teacherTrace = trace;
  return targets;
}

void ExperimentRun::reportProgress(const std::string& phase, int step, int total, int stepsBefore,
                                   double phaseStart, int64_t tokensSoFar, std::vector<MetricPoint> latest) {
  const double now = elapsed();
  const double phaseSeconds = now - phaseStart;
  ProgressInfo p;
  p.phase = phase;
  p.step = step;
  p.totalSteps = total;
  p.phaseSeconds = phaseSeconds;
  const int stepsNow = step - stepsBefore;
  p.etaSeconds = stepsNow > 0 ? phaseSeconds / stepsNow * (total - step) : 0.0;
  p.tokensPerSecond = phaseSeconds > 0.0 ? static_cast<double>(tokensSoFar) / phaseSeconds : 0.0;
  p.processes = worldSize();
  p.latest = std::move(latest);
  m_lastProgressReport = now;
  m_observer.onProgress(p);
}

void ExperimentRun::evaluateModel(TrainedModel& m, int step, bool withSamples) {
  const bool isTeacher = &m == &m_teacher;
  m.lastEval = evaluate(*m.model, m_valBatches, isTeacher ? nullptr : &m_teacherValLogits, m_group);
  std::vector<MetricPoint> points = {{m.name, step, elapsed(), metric::kValLoss, m.lastEval.loss}};
  if (!isTeacher) {
    points.push_back({m.name, step, elapsed(), metric::kValAgreement, m.lastEval.agreement});
    points.push_back({m.name, step, elapsed(), metric::kValKlFromTeacher, m.lastEval.klFromTeacher});
  }
  emit(points);
  if (!withSamples || !lead()) return;
  const auto& g = m_config.generate;
  SamplingOptions options{g.max_new_tokens, g.temperature, g.top_k, g.top_p, static_cast<uint64_t>(g.seed), false};
  for (const auto& prompt : g.prompts) {
    const auto ids = generateIds(*m.model, m_corpus.tokenizer.encode(prompt), options,
                                 [this] { return !m_control.isCancelled(); });
    SampleRecord sample{m.name, step, prompt, m_corpus.tokenizer.decode(ids)};
    m_store->appendSample(sample);
    m_observer.onSample(sample);
  }
}

bool ExperimentRun::trainTeacher() {
  const auto& t = m_config.train;
  const int total = t.steps;
  m_observer.onPhase("teacher", total);
  BatchSampler sampler(m_corpus.train, m_config.data.block_size, globalBatchSize(), static_cast<uint64_t>(t.seed));
  const double phaseStart = elapsed();
  const int64_t tokensPerStep = static_cast<int64_t>(globalBatchSize()) * m_config.data.block_size;
  const int resumed = resumedSteps("teacher");
  if (resumed > 0) {
    sampler.restore(m_resume->state.at("batch_sampler").get<std::string>());
  } else {
    evaluateModel(m_teacher, 0, false);
  }
  for (int step = resumed + 1; step <= total; ++step) {
    if (!proceed(step)) {
      saveResumePoint("teacher", step - 1, total, sampler.state());
      return false;
    }
    const auto batch = shardOf(sampler.next());
    std::vector<StepLosses> results;
    if (!stepAll(step, {&m_teacher}, 1, [&](size_t) { return m_teacher.trainer->computeGradients(batch); }, results))
      return false;
    const StepLosses& losses = results[0];
    m_teacher.steps = step;
    m_teacher.meter.add(tokensPerStep, losses.seconds);
    m_teacher.trainTokens += tokensPerStep;
    m_teacher.trainSeconds += losses.seconds;
    std::vector<MetricPoint> latest = {{"teacher", step, elapsed(), metric::kTrainLoss, losses.loss}};
    if (step % t.log_interval == 0 || step == total) {
      auto points = latest;
      points.push_back({"teacher", step, elapsed(), metric::kLearningRate, losses.lr});
      points.push_back({"teacher", step, elapsed(), metric::kTokensPerSecond, m_teacher.meter.take()});
      emit(points);
    }
    if (step % t.eval_interval == 0 || step == total) evaluateModel(m_teacher, step, true);
    reportProgress("teacher", step, total, resumed, phaseStart, tokensPerStep * (step - resumed), latest);
    if (t.checkpoint_interval > 0 && step % t.checkpoint_interval == 0 && step < total)
      saveResumePoint("teacher", step, total, sampler.state());
  }
  if (lead()) {
    saveCheckpoint(m_store->checkpointPath("teacher"), *m_teacher.model, infoFor(m_teacher));
    m_observer.onMessage("teacher checkpoint written: " + m_store->checkpointPath("teacher"));
  }
  if (resumed < total) saveResumePoint("teacher", total, total, sampler.state());  // a crash while caching resumes here
  return true;
}

bool ExperimentRun::trainStudents() {
  const auto& t = m_config.train;
  const int total = m_config.studentSteps();
  if (m_students.empty()) return true;
  m_observer.onPhase("students", total);
  m_teacherValLogits = teacherLogitsFor(*m_teacher.model, m_valBatches, m_group);
  for (const auto& logits : m_teacherValLogits)
    if (logits.defined()) requireFiniteTeacherLogits(logits, "the validation batches");
  const uint64_t samplerSeed = static_cast<uint64_t>(t.seed) + 1;
  // Where each distilled student's targets come from: the logit cache, the teacher online on the
  // corpus batch, the teacher's sequence set, or the student's own samples (on-policy steps).
  const DistillConfig* cacheSettings = nullptr;
  const DistillConfig* sequenceSettings = nullptr;
  bool corpusTrace = false, sequenceTrace = false;
  for (const auto& m : m_students) {
    if (m.role != "distilled") continue;
    const auto& d = m.distill;
    if (d.regime == "sequence") {
      sequenceTrace = sequenceTrace || d.usesFeatures();
      if (!sequenceSettings) {
        sequenceSettings = &d;
      } else if (!(sequenceHeaderFor(*sequenceSettings) == sequenceHeaderFor(d))) {
        throw EngineError("sequence-level students share one teacher sequence set: " + m.name +
                          " differs in sequence_count, prefix_tokens, sample_temperature or sample_top_k");
      }
    } else if (d.cache_top_k > 0) {
      if (!cacheSettings) {
        cacheSettings = &d;
      } else if (cacheSettings->cache_top_k != d.cache_top_k || cacheSettings->temperature != d.temperature) {
        throw EngineError("students using the logit cache must share its cache_top_k and temperature (" + m.name + ")");
      }
    } else {
      corpusTrace = corpusTrace || d.usesFeatures();
    }
  }
  std::unique_ptr<LogitCache> cache;
  if (cacheSettings) {
    cache = openOrBuildCache(*cacheSettings, total, samplerSeed);
    if (!cache) return false;
  }
  std::unique_ptr<SequenceSampler> sequenceSampler;
  if (sequenceSettings) {
    auto sequences = openOrBuildSequences(*sequenceSettings);
    if (!sequences.defined()) return false;
    sequenceSampler = std::make_unique<SequenceSampler>(sequences, t.batch_size, samplerSeed + 5);
  }
  if (cache || sequenceSampler) m_observer.onPhase("students", total);  // back from the teacher's pass
  BatchSampler sampler(m_corpus.train, m_config.data.block_size, globalBatchSize(), samplerSeed);
  const double phaseStart = elapsed();
  const int64_t tokensPerStep = static_cast<int64_t>(globalBatchSize()) * m_config.data.block_size;
  auto saveStudentsPoint = [&](int step) {
    saveResumePoint("students", step, total, sampler.state(), sequenceSampler ? sequenceSampler->state() : std::string());
  };
  const int resumed = resumedSteps("students");
  if (m_resume && m_resume->phase == "students") {
    sampler.restore(m_resume->state.at("batch_sampler").get<std::string>());
    if (sequenceSampler) sequenceSampler->restore(m_resume->state.at("sequence_sampler").get<std::string>());
  } else {
    for (auto& m : m_students) evaluateModel(m, 0, false);
    saveStudentsPoint(0);
  }
  m_teacher.model->eval();
  const size_t n = m_students.size();
  for (int step = resumed + 1; step <= total; ++step) {
    if (!proceed(step)) {
      saveStudentsPoint(step - 1);
      return false;
    }
    // Temperature and alpha follow their schedules (a live change resets them to constant).
    std::vector<DistillConfig> distillNow(n);
    for (size_t i = 0; i < n; ++i) {
      const auto& d = m_students[i].distill;
      distillNow[i] = d;
      distillNow[i].temperature = scheduledValue(d.temperature_schedule, d.temperature, d.temperature_end, step - 1, total);
      distillNow[i].alpha = scheduledValue(d.alpha_schedule, d.alpha, d.alpha_end, step - 1, total);
    }
    // Each distilled student's batch and targets; one teacher pass serves all who share a batch.
    const auto batch = shardOf(sampler.next());
    Batch sequenceBatch;
    if (sequenceSampler) sequenceBatch = sequenceSampler->next();
    std::vector<Batch> batches(n, batch);
    std::vector<const SoftTargets*> targets(n, nullptr);
    SoftTargets online, cached, fromSequences;
    ForwardTrace onlineTrace, sequenceTraceData;
    std::vector<SoftTargets> onPolicy(n);
    std::vector<ForwardTrace> onPolicyTraces(n);
    if (cache) cache->read(static_cast<uint32_t>(step - 1), &cached.cachedIds, &cached.cachedLogProbs);
    for (size_t i = 0; i < n; ++i) {
      auto& m = m_students[i];
      if (m.role != "distilled") continue;
      const auto& d = distillNow[i];
      if (d.regime == "sequence") {
        batches[i] = sequenceBatch;
        if (needsTeacherTargets(d) && !fromSequences.teacherLogits.defined())
          fromSequences = teacherTargets(sequenceBatch.x, sequenceTrace ? &sequenceTraceData : nullptr, step);
        targets[i] = &fromSequences;  // without teacher logits: cross-entropy on the teacher's tokens
      } else if (d.regime == "on_policy" && isOnPolicyStep(step, d.on_policy_fraction)) {
        // GKD: the student continues corpus prefixes; the teacher scores every position after them.
        const int64_t P = d.prefix_tokens;
        const auto samples = sampleSequences(*m.model, batch.x.slice(1, 0, P), m_config.data.block_size,
                                             d.sample_temperature, d.sample_top_k, m.onPolicyGenerator);
        batches[i] = {samples, samples};  // no labels: the soft term alone trains on these
        onPolicy[i] = teacherTargets(samples, d.usesFeatures() ? &onPolicyTraces[i] : nullptr, step);
        onPolicy[i].positionMask = (torch::arange(samples.size(1)) >= P - 1).unsqueeze(0).expand_as(samples);
        onPolicy[i].hardLabels = false;
        targets[i] = &onPolicy[i];
      } else if (d.cache_top_k > 0) {
        targets[i] = &cached;
      } else {
        if (!online.teacherLogits.defined()) online = teacherTargets(batch.x, corpusTrace ? &onlineTrace : nullptr, step);
        targets[i] = &online;
      }
    }
    std::vector<MetricPoint> latest;
    std::vector<MetricPoint> logged;
    const bool log = step % t.log_interval == 0 || step == total;
    auto computeStudent = [&](size_t i) {
      auto& m = m_students[i];
      if (m.role != "distilled") return m.trainer->computeGradients(batch);
      return m.trainer->computeGradients(batches[i], targets[i], &distillNow[i]);
    };
    // The students are independent given the batch and the teacher's logits: they step side by
    // side, one thread each, and the step ends when all have (lockstep).
    std::vector<TrainedModel*> students;
    for (auto& m : m_students) students.push_back(&m);
    std::vector<StepLosses> results;
    if (!stepAll(step, students, m_threads, computeStudent, results)) return false;
    for (size_t i = 0; i < m_students.size(); ++i) {
      auto& m = m_students[i];
      const bool distilled = m.role == "distilled";
      const StepLosses& losses = results[i];
      m.steps = step;
      m.meter.add(tokensPerStep, losses.seconds);
      m.trainTokens += tokensPerStep;
      m.trainSeconds += losses.seconds;
      latest.push_back({m.name, step, elapsed(), metric::kTrainLoss, losses.loss});
      if (!log) continue;
      logged.push_back(latest.back());
      const std::pair<const char*, const std::optional<double>*> terms[] = {
          {metric::kSoftLoss, &losses.soft},
          {metric::kHardLoss, &losses.hard},
          {metric::kHiddenLoss, &losses.hidden},
          {metric::kAttentionLoss, &losses.attention}};
      for (const auto& [key, value] : terms)
        if (value->has_value()) logged.push_back({m.name, step, elapsed(), key, **value});
      logged.push_back({m.name, step, elapsed(), metric::kLearningRate, losses.lr});
      logged.push_back({m.name, step, elapsed(), metric::kTokensPerSecond, m.meter.take()});
      if (distilled && (m.distill.temperature_schedule != "constant" || m.distill.alpha_schedule != "constant")) {
        logged.push_back({m.name, step, elapsed(), metric::kTemperature, distillNow[i].temperature});
        logged.push_back({m.name, step, elapsed(), metric::kAlpha, distillNow[i].alpha});
      }
    }
    emit(logged);
    if (step % t.eval_interval == 0 || step == total)
      for (auto& m : m_students) evaluateModel(m, step, true);
    reportProgress("students", step, total, resumed, phaseStart,
                   tokensPerStep * (step - resumed) * static_cast<int64_t>(m_students.size()), latest);
    if (t.checkpoint_interval > 0 && step % t.checkpoint_interval == 0 && step < total) saveStudentsPoint(step);
  }
  return true;
}

std::vector<DistillConfig*> ExperimentRun::allDistillSettings() {
  std::vector<DistillConfig*> all = {&m_config.distill};
  for (auto& s : m_config.students)
    if (s.distill) all.push_back(&*s.distill);  // what a resumed run reads back
  for (auto& m : m_students) all.push_back(&m.distill);
  return all;
}

bool ExperimentRun::proceed(int step) {
  if (!m_group) {
    if (!waitWhilePaused()) return false;
    applyLiveSettings(step, m_control.takeSettings());
    return true;
  }
  // Rank 0 decides and broadcasts [state, lr, temperature, alpha, eval_interval] (NaN: no change).
  // While paused it repeats "paused" well within the timeout, so that the others keep waiting.
  enum State { Go = 0, Paused = 1, Stop = 2 };
  const auto heartbeat = std::chrono::milliseconds(
      static_cast<int64_t>(std::max(0.05, std::min(5.0, m_options.distributed.timeoutSeconds / 4.0)) * 1000.0));
  const double none = std::numeric_limits<double>::quiet_NaN();
  for (;;) {
    // Time spent paused stays out of elapsed(): whole "paused" rounds, and the lead's wait in the
    // round that resumes.
    const auto roundStart = Clock::now();
    double waited = 0.0;
    auto message = torch::full({5}, none, torch::kFloat64);
    if (lead()) {
      const auto going = m_control.checkpointFor(heartbeat);
      waited = std::chrono::duration<double>(Clock::now() - roundStart).count();
      message[0] = !going ? Paused : (*going ? Go : Stop);
      if (going && *going) {
        const auto changes = m_control.takeSettings();
        if (changes.lr) message[1] = *changes.lr;
        if (changes.temperature) message[2] = *changes.temperature;
        if (changes.alpha) message[3] = *changes.alpha;
        if (changes.evalInterval) message[4] = static_cast<double>(*changes.evalInterval);
      }
    }
    m_group->broadcastInPlace(message, 0);
    const auto state = static_cast<int>(message[0].item<double>());
    if (state == Paused) {
      m_pausedSeconds += std::chrono::duration<double>(Clock::now() - roundStart).count();
      continue;
    }
    m_pausedSeconds += waited;
    if (state == Stop) return false;
    LiveSettings changes;
    auto read = [&](int i) -> std::optional<double> {
      const double v = message[i].item<double>();
      return std::isnan(v) ? std::nullopt : std::optional<double>(v);
    };
    changes.lr = read(1);
    changes.temperature = read(2);
    changes.alpha = read(3);
    if (auto interval = read(4)) changes.evalInterval = static_cast<int>(*interval);
    applyLiveSettings(step, changes);
    return true;
  }
}

void ExperimentRun::applyLiveSettings(int step, const LiveSettings& changes) {
  if (changes.empty()) return;
  std::vector<MetricPoint> points;
  auto record = [&](const std::string& key, double value) {
    points.push_back({"settings", step, elapsed(), "setting/" + key, value});
    m_observer.onMessage("step " + std::to_string(step) + ": " + key + " set to " + std::to_string(value));
  };
  if (changes.lr) {
    m_config.train.min_lr = m_config.train.min_lr * *changes.lr / m_config.train.lr;
    m_config.train.lr = *changes.lr;
    if (m_teacher.trainer) m_teacher.trainer->setPeakLearningRate(*changes.lr);
    for (auto& m : m_students) m.trainer->setPeakLearningRate(*changes.lr);
    record("lr", *changes.lr);
  }
  if (changes.temperature) {
    for (auto* d : allDistillSettings()) {
      d->temperature = *changes.temperature;
      d->temperature_schedule = "constant";
    }
    record("temperature", *changes.temperature);
  }
  if (changes.alpha) {
    for (auto* d : allDistillSettings()) {
      d->alpha = *changes.alpha;
      d->alpha_schedule = "constant";
    }
    record("alpha", *changes.alpha);
  }
  if (changes.evalInterval) {
    m_config.train.eval_interval = std::max(1, *changes.evalInterval);
    record("eval_interval", m_config.train.eval_interval);
  }
  emit(points);
}

std::vector<std::exception_ptr> ExperimentRun::stepModels(const std::vector<TrainedModel*>& models, int workers,
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
                            const std::function<PendingStep(size_t)>& compute, std::vector<StepLosses>& results) {
  std::vector<size_t> todo(models.size());
  for (size_t i = 0; i < todo.size(); ++i) todo[i] = i;
  results.resize(models.size());
  while (!todo.empty()) {
    std::vector<TrainedModel*> some;
    for (size_t i : todo) some.push_back(models[i]);
    std::vector<StepLosses> someResults;
    const auto faults = stepModels(some, workers, [&](size_t k) { return compute(todo[k]); }, someResults);
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
        m_observer.onFault(std::string(e.what()) + " - the run is paused; lower the learning rate and resume");
        m_control.pause();
      }
    }
    if (!proceed(step)) return false;  // every rank waits here for rank 0's resume
    todo = again;
  }
  return true;
}

std::unique_ptr<LogitCache> ExperimentRun::openOrBuildCache(const DistillConfig& d, int steps, uint64_t samplerSeed) {
  LogitCacheHeader header;
  header.vocabSize = static_cast<uint32_t>(m_teacher.model->vocabSize());
  header.topK = static_cast<uint32_t>(std::min<int64_t>(d.cache_top_k, m_teacher.model->vocabSize()));
  header.blockSize = static_cast<uint32_t>(m_config.data.block_size);
  header.batchSize = static_cast<uint32_t>(m_config.train.batch_size);
  header.steps = static_cast<uint32_t>(steps);
  header.temperature = static_cast<float>(d.temperature);
  header.seed = samplerSeed;
  if (!d.cache_path.empty()) {
    auto existing = std::make_unique<LogitCache>(d.cache_path);
    if (existing->header() == header) {
      m_observer.onMessage("teacher logits from the cache " + d.cache_path);
      return existing;
    }
    m_observer.onMessage("the cache " + d.cache_path + " was made for other settings; building a new one");
  }
  const std::string path = m_store->dir() + "/teacher_logits.cache";
  m_observer.onPhase("caching teacher", steps);
  const double phaseStart = elapsed();
  BatchSampler sampler(m_corpus.train, m_config.data.block_size, m_config.train.batch_size, samplerSeed);
  LogitCacheWriter writer(path, header);
  torch::NoGradGuard noGrad;
  m_teacher.model->eval();
  const int64_t tokensPerStep = static_cast<int64_t>(m_config.train.batch_size) * m_config.data.block_size;
  for (int step = 1; step <= steps; ++step) {
    if (!waitWhilePaused()) return nullptr;
    auto logits = forwardInChunks(*m_teacher.model, sampler.next().x, m_threads);
    requireFiniteTeacherLogits(logits, "cached step " + std::to_string(step));
    writer.append(logits);
    if (step % 50 == 0 || step == steps)
      reportProgress("caching teacher", step, steps, 0, phaseStart, tokensPerStep * step, {});
  }
  writer.finish();
  m_observer.onMessage("teacher logit cache written: " + path);
  return std::make_unique<LogitCache>(path);
}

SequenceSetHeader ExperimentRun::sequenceHeaderFor(const DistillConfig& d) const {
  SequenceSetHeader header;
  header.vocabSize = static_cast<uint32_t>(m_teacher.model->vocabSize());
  header.length = static_cast<uint32_t>(m_config.data.block_size + 1);
  header.count = static_cast<uint32_t>(d.sequence_count);
  header.prefix = static_cast<uint32_t>(d.prefix_tokens);
  header.topK = static_cast<uint32_t>(d.sample_top_k);
  header.temperature = static_cast<float>(d.sample_temperature);
  header.seed = static_cast<uint64_t>(m_config.train.seed) + 100;
  return header;
}

torch::Tensor ExperimentRun::openOrBuildSequences(const DistillConfig& d) {
  const SequenceSetHeader header = sequenceHeaderFor(d);
  if (!d.sequence_path.empty()) {
    SequenceSetHeader existing;
    auto sequences = loadSequenceSet(d.sequence_path, &existing);
    if (existing == header) {
      m_observer.onMessage("teacher sequences from " + d.sequence_path);
      return sequences;
    }
    m_observer.onMessage("the sequence set " + d.sequence_path + " was made for other settings; generating a new one");
  }
  const int total = d.sequence_count;
  m_observer.onPhase("teacher writing sequences", total);
  const double phaseStart = elapsed();
  const int64_t newTokens = static_cast<int64_t>(header.length - header.prefix);
  auto sequences = generateSequenceSet(*m_teacher.model, m_corpus.train, header, [&](int64_t done) {
    reportProgress("teacher writing sequences", static_cast<int>(done), total, 0, phaseStart,
                   done * newTokens, {});
    return waitWhilePaused();
  });
  if (!sequences.defined()) return {};
  const std::string path = m_store->dir() + "/teacher_sequences.bin";
  saveSequenceSet(path, header, sequences);
  m_observer.onMessage("teacher sequences written: " + path + " (" + std::to_string(total) + " × " +
                       std::to_string(header.length) + " tokens)");
  return sequences;
}

void ExperimentRun::saveAll() {
  // A student that never stepped (the run stopped in the teacher's phase) is no model to keep.
  for (auto& m : m_students)
    if (m.steps > 0) saveCheckpoint(m_store->checkpointPath(m.name), *m.model, infoFor(m));
}

std::vector<ModelSummary> ExperimentRun::summarize(bool measureGeneration) {
  std::vector<ModelSummary> out;
  std::vector<TrainedModel*> all = {&m_teacher};
  for (auto& m : m_students) all.push_back(&m);
  const auto& g = m_config.generate;
  const std::string promptText = g.prompts.empty() ? std::string() : g.prompts.front();
  for (auto* m : all) {
    ModelSummary s;
    s.trainTokensPerSecond = m->trainSeconds > 0.0 ? static_cast<double>(m->trainTokens) / m->trainSeconds : 0.0;
    s.name = m->name;
    s.role = m->role;
    s.arch = m->model->spec().arch;
    s.params = m->model->parameterCount();
    s.steps = m->steps;
    s.trained = m == &m_teacher || m->steps > 0;
    if (!s.trained) {
      out.push_back(s);  // not trained: no numbers (null in summary.json, "—" in tables)
      continue;
    }
    s.valLoss = m->lastEval.loss;
    s.valPerplexity = std::exp(m->lastEval.loss);
    s.agreement = m->lastEval.agreement;
    s.klFromTeacher = m->lastEval.klFromTeacher;
    if (measureGeneration) {
      // Batch 1, 256 new tokens, as a user would generate: with the KV cache / carried state, and
      // by full recompute for comparison. Median of 3: single timings vary a lot on a busy machine.
      SamplingOptions options{256, g.temperature, g.top_k, g.top_p, static_cast<uint64_t>(g.seed), false};
      const auto prompt = m_corpus.tokenizer.encode(promptText);
      s.genTokensPerSecond = medianTokensPerSecond([&] { return generateIds(*m->model, prompt, options).size(); });
      s.genRecomputeTokensPerSecond =
          medianTokensPerSecond([&] { return generateIdsByRecompute(*m->model, prompt, options).size(); });
    }
    out.push_back(s);
  }
  const double teacherRate = out.front().genTokensPerSecond;  // the teacher comes first
  for (auto& s : out)
    s.genSpeedupVsTeacher =
        teacherRate > 0.0 ? s.genTokensPerSecond / teacherRate : ModelSummary::kNotMeasured;
  return out;
}

RunResult ExperimentRun::run() {
  RunResult result;
  try {
    prepare();
    if (m_store) result.runDir = m_store->dir();
    bool completed = true;
    if (m_resume && m_resume->phase == "students") {
      // The teacher's phase ended before the checkpoint; its numbers are already in the run.
      m_observer.onPhase("teacher", 0);
      m_teacher.lastEval = evaluate(*m_teacher.model, m_valBatches, nullptr, m_group);
    } else if (m_teacher.trainer) {
      completed = trainTeacher();
      if (!completed && lead()) saveCheckpoint(m_store->checkpointPath("teacher"), *m_teacher.model, infoFor(m_teacher));
    } else {
      m_observer.onPhase("teacher", 0);
      evaluateModel(m_teacher, m_teacher.steps, false);
      if (lead()) saveCheckpoint(m_store->checkpointPath("teacher"), *m_teacher.model, infoFor(m_teacher));
    }
    if (completed) completed = trainStudents();
    if (lead()) saveAll();
    m_observer.onPhase("finishing", 0);
    if (!completed && !m_teacherValLogits.empty()) {
      // Stopped between evaluations: measure where the students really are.
      for (auto& m : m_students) m.lastEval = evaluate(*m.model, m_valBatches, &m_teacherValLogits, m_group);
    }
    result.status = completed ? RunResult::Status::Completed : RunResult::Status::Cancelled;
    if (!lead()) return result;  // the last collective is behind: rank 0 writes the rest
    result.models = summarize(completed);
    m_store->writeSummary(m_config.name, completed ? "completed" : "cancelled", "", result.models);
    if (completed) removeResumePoints(m_store->dir());  // the final checkpoints are what stays
    m_store->writeMethodsTable(result.models);
    m_observer.onMessage(std::string(completed ? "run completed: " : "run stopped: ") + m_store->dir());
  } catch (const std::exception& e) {
    // c10::Error, YAML and filesystem errors all derive from std::exception; keep the first line.
    std::string message = e.what();
    if (auto* c10error = dynamic_cast<const c10::Error*>(&e)) message = c10error->what_without_backtrace();
    message = message.substr(0, message.find('\n'));
    result.status = RunResult::Status::Failed;
    result.error = message;
    if (m_store) {
      try {
        m_store->writeSummary(m_config.name, "failed", message, result.models);
      } catch (const std::exception&) {
        // The disk is what failed: the error is still returned to the caller.
      }
    }
  }
  return result;
}

}  // namespace

namespace {

/// Automatic thread counts share this machine's cores among the run's processes on it.
int threadsPerProcess(int requested, int localProcesses) {
  if (requested > 0) return requested;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, localProcesses));
}

std::string firstProblem(const std::vector<ConfigProblem>& problems) {
  return problems.front().key + ": " + problems.front().message;
}

/// Runs `config` as one process or as rank 0 of a group: local workers it starts itself
/// (train.processes) or ranks a launcher started (options.distributed). Throws EngineError.
RunResult launch(ExperimentConfig config, const RunOptions& options, RunObserver& observer, RunControl& control,
                 const ResumePoint* resume) {
  if (options.processes > 0) config.train.processes = options.processes;
  DistributedOptions group = options.distributed;
  const int local = config.train.processes;
  if (local > 1) {
    if (group.active())
      throw EngineError("train.processes: " + std::to_string(local) +
                        " local processes do not combine with a launch that set RANK and WORLD_SIZE (torchrun, Slurm): "
                        "set train.processes: 1 and let the launcher start the processes");
    group.rank = 0;
    group.worldSize = local;
    group.localProcesses = local;
    group.masterAddr = "127.0.0.1";
    group.masterPort = 0;
  }
  if (group.active()) {
    const auto problems = validateExperiment(config);  // train.processes may have changed
    if (!problems.empty()) throw EngineError("invalid experiment: " + firstProblem(problems));
    if (auto problem = dataParallelProblem(config)) throw EngineError(problem->key + ": " + problem->message);
  }
  const int threads = configureThreads(threadsPerProcess(config.train.threads, group.localProcesses));
  if (!group.active()) return ExperimentRun(config, options, observer, control, threads, resume).run();

  observer.onMessage("data-parallel run: " + std::to_string(group.worldSize) + " processes, " +
                     std::to_string(threads) + " thread(s) each, global batch " +
                     std::to_string(config.train.batch_size * group.worldSize));
  LocalWorkers workers;
  std::unique_ptr<Collective> collective;
  try {
    collective = joinGroup(group, [&](int port) {
      if (local > 1) workers.start(group, port);
    });
    collective->publish("config", experimentToYaml(config));
    collective->publish("resume", resume ? resume->dir : std::string());
    collective->publish("pause_on_non_finite", options.pauseOnNonFinite ? "1" : "0");
  } catch (const EngineError& e) {
    const std::string dead = workers.failures();
    throw EngineError(std::string(e.what()) + (dead.empty() ? "" : " [" + dead + "]"));
  }
  RunOptions groupOptions = options;
  groupOptions.distributed = group;
  ExperimentRun run(config, groupOptions, observer, control, threads, resume, collective.get());
  RunResult result = run.run();
  result.worldSize = group.worldSize;
  if (result.status == RunResult::Status::Failed) {
    const std::string dead = workers.failures();
    if (!dead.empty()) result.error += " [" + dead + "]";
  }
  return result;
}

RunResult failed(const std::string& runDir, const std::string& error) {
  RunResult result;
  result.status = RunResult::Status::Failed;
  result.runDir = runDir;
  result.error = error;
  return result;
}

/// The newest intact resumable checkpoint of a stopped, failed or killed run (an existing folder).
/// Throws EngineError.
ResumePoint resumePointOf(const std::string& runDir, RunObserver& observer) {
  if (readRunSummary(runDir).status == "completed") throw EngineError("run " + runDir + " has completed: nothing to resume");
  // The newest checkpoint whose files are intact; a damaged one (a disk fault) falls back to the one before.
  std::string damage;
  auto usable = newestIntactResumePoint(runDir, [&](const std::string& what) {
    damage = what;
    observer.onMessage("skipping a damaged checkpoint: " + damage);
  });
  if (!usable && damage.empty())
    throw EngineError("run " + runDir + " has no resumable checkpoint (it stopped before its first; see train.checkpoint_interval)");
  if (!usable) throw EngineError("every resumable checkpoint of " + runDir + " is damaged: " + damage);
  return std::move(*usable);
}

/// The settings a resumable checkpoint was taken with (live changes included). Throws EngineError.
ExperimentConfig settingsOf(const ResumePoint& point, const std::string& runDir) {
  auto loaded = parseExperiment(point.state.at("config").get<std::string>(), runDir);
  const auto problems = loaded.ok() ? validateExperiment(loaded.config) : loaded.problems;
  if (!problems.empty()) throw EngineError("the settings saved in " + point.dir + " are invalid: " + firstProblem(problems));
  // A step beyond its phase's length is damage: resuming from it would train for ever or not at all.
  const int phaseSteps = point.phase == "teacher" ? loaded.config.train.steps : loaded.config.studentSteps();
  if (point.step < 0 || point.step > phaseSteps)
    throw EngineError(point.dir + "/state.json: step " + std::to_string(point.step) + " is outside the " + point.phase +
                      " phase's " + std::to_string(phaseSteps) + " steps");
  return loaded.config;
}

}  // namespace

RunResult runExperiment(const ExperimentConfig& config, const RunOptions& options, RunObserver& observer,
                        RunControl& control) {
  const auto problems = validateExperiment(config);
  if (!problems.empty()) return failed("", "invalid experiment: " + firstProblem(problems));
  try {
    return launch(config, options, observer, control, nullptr);
  } catch (const std::exception& e) {
    return failed("", e.what());
  }
}

RunResult resumeExperiment(const std::string& runDir, const RunOptions& options, RunObserver& observer,
                           RunControl& control) {
  try {
    if (!std::filesystem::is_directory(runDir)) throw EngineError("run directory not found: " + runDir);
    // Before anything is read: a second writer of this folder is refused at once.
    auto lock = std::make_shared<RunFolderLock>(runDir);
    ResumePoint point = resumePointOf(runDir, observer);
    point.writerLock = std::move(lock);
    RunOptions resumed = options;
    resumed.outDir = runDir;
    return launch(settingsOf(point, runDir), resumed, observer, control, &point);
  } catch (const std::exception& e) {
    return failed(runDir, e.what());
  }
}

RunResult runWorker(const DistributedOptions& distributed, RunObserver& observer) {
  try {
    if (!distributed.active() || distributed.rank == 0)
      throw EngineError("a worker is a rank other than 0 of a group of two or more (RANK, WORLD_SIZE)");
    auto collective = joinGroup(distributed);
    const std::string yaml = collective->fetch("config");
    auto loaded = parseExperiment(yaml, ".");
    if (!loaded.ok()) throw EngineError("rank 0's settings do not parse here: " + firstProblem(loaded.problems));
    std::optional<ResumePoint> resume;
    if (const std::string dir = collective->fetch("resume"); !dir.empty()) {
      // Every rank reads the checkpoint rank 0 chose (across machines: a shared filesystem).
      for (auto& point : listResumePoints(std::filesystem::path(dir).parent_path().parent_path().string()))
        if (point.dir == dir) resume = std::move(point);
      if (!resume) throw EngineError("rank " + std::to_string(distributed.rank) + " cannot read rank 0's checkpoint " + dir);
    }
    RunOptions options;
    options.distributed = distributed;
    options.pauseOnNonFinite = collective->fetch("pause_on_non_finite") == "1";
    RunControl control;  // never used: rank 0's decisions arrive by broadcast
    const int threads = configureThreads(threadsPerProcess(loaded.config.train.threads, distributed.localProcesses));
    ExperimentRun run(loaded.config, options, observer, control, threads, resume ? &*resume : nullptr, collective.get());
    return run.run();
  } catch (const std::exception& e) {
    return failed("", e.what());
  }
}

}  // namespace distill
