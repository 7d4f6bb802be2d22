#pragma once

// One run of an experiment, read top to bottom in run(): prepare → teacher phase → student phase
// → summary. Each phase lives in its own file (run_setup.cpp, teacher_phase.cpp,
// student_phase.cpp, run_summary.cpp); where a distilled student's targets come from is a
// TargetSource (target_sources.h); stepping models in lockstep and the live controls between steps
// are lockstep.cpp and live_control.cpp.

#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/corpus.h"
#include "distill/experiment.h"
#include "distill/run_phase.h"
#include "io/checkpoint.h"
#include "kd/teacher_sequences.h"
#include "parallel/collective.h"
#include "run/corpus_view.h"
#include "run/trained_model.h"
#include "store/resume_point.h"
#include "store/run_store.h"
#include "util/compute_device.h"

namespace distill {

class LogitCache;
class TargetSources;

class ExperimentRun {
public:
  using Clock = std::chrono::steady_clock;

  /// `resume`: continue from this checkpoint in its run directory (null: a new run).
  /// `group`: this process's data-parallel group (null: one process).
  ExperimentRun(ExperimentConfig config, const RunOptions& options, RunObserver& observer,
                RunControl& control, int threads, const ResumePoint* resume = nullptr,
                Collective* group = nullptr);

  RunResult run();

  // --- Phases (each in its own file) ---------------------------------------------------------
  /// Corpus, teacher, students, run folder; restores a resume point. (run_setup.cpp)
  void prepare();
  /// Every teacher in turn: trained (or resumed), or a pretrained one evaluated and saved. False
  /// when the run was stopped. (teacher_phase.cpp)
  bool trainTeachers();
  /// False when the run was stopped. (student_phase.cpp)
  bool trainStudents();
  /// Every model's final numbers (over repeats: their means, each repeat's kept). (run_summary.cpp)
  std::vector<ModelSummary> summarize(bool measureSpeed);

  // --- Repeats (train.repeats; repeats.cpp) ---------------------------------------------------
  /// Every repeat from the current one to the last: the teacher's phase where it trains in this
  /// repeat, then the students'. False when the run was stopped.
  bool trainRepeats();
  /// The repeat in progress (1-based).
  int repeat() const { return m_repeat; }
  /// The current repeat's seed: the students' weights, batch order and on-policy samples.
  int seed() const { return repeatSeed(m_config.train, m_repeat); }
  /// The teacher's: train.seed, unless train.repeat_teacher retrains it with each repeat's.
  int teacherSeed() const { return m_config.train.repeat_teacher ? seed() : m_config.train.seed; }
  /// Where `m`'s checkpoint of the current repeat goes (the teacher's of repeat 1 when it is shared).
  std::string checkpointOf(const TrainedModel& m) const;

  // --- What the phases share ----------------------------------------------------------------
  const ExperimentConfig& config() const { return m_config; }
  /// The teacher, or an ensemble's members in the order of `teachers:`.
  std::vector<TrainedModel>& teachers() { return m_teachers; }
  std::vector<TrainedModel>& students() { return m_students; }
  const Corpus& corpus() const { return m_corpus; }
  /// The tokenizer `m` reads: its own view's, or the run's.
  const Tokenizer& tokenizerOf(const TrainedModel& m) const;
  /// The students' own tokenizations (students[i].tokenizer), one per tokenizer named.
  std::vector<std::unique_ptr<CorpusView>>& views() { return m_views; }
  int threads() const { return m_threads; }
  /// Where the models, their optimizer state and the batches live (train.device resolved).
  const torch::Device& device() const { return m_device; }
  /// Rank 0 alone writes the run directory and talks to the observer about training.
  bool lead() const { return !m_group || m_group->isLead(); }
  /// Processes training this run (1 without a group).
  int worldSize() const { return m_group ? m_group->worldSize() : 1; }
  /// Rows drawn per step across all ranks.
  int globalBatchSize() const { return m_config.train.batch_size * worldSize(); }
  /// Training tokens of one model's step across all ranks.
  int64_t tokensPerStep() const { return static_cast<int64_t>(globalBatchSize()) * m_config.data.block_size; }
  /// This rank's rows of a global batch (all of it without a group), on the run's device.
  Batch shardOf(const Batch& global) const;
  RunObserver& observer() { return m_observer; }
  RunStore& store() { return *m_store; }

  /// Training time of the run: wall time since it started (plus before the checkpoint it resumed
  /// from), pauses left out, so curves against time, rates and ETAs show work, not waiting.
  double elapsed() const;
  /// The run control's checkpoint, with its waiting time (a pause) kept out of elapsed().
  bool waitWhilePaused();
  /// Writes metric points (rank 0) and passes them to the observer. (Not "emit": Qt defines it.)
  void publish(std::vector<MetricPoint> points);
  /// Validation loss (and agreement with the teacher for students) at `step`; samples when asked.
  void evaluateModel(TrainedModel& m, int step, bool withSamples);
  /// m.lastEval on the validation batches, bits per character included (no metric points).
  void measureOnValidation(TrainedModel& m);
  /// What samples continue: generate.prompts, or with prompt/response data the first held-out
  /// prompts (the examples' vocabulary may not even hold the configured prompts' characters).
  std::vector<std::string> samplePrompts() const;
  /// `stepsBefore`: steps of the phase done before this process took it up (a resumed run); the
  /// rate and ETA are measured over this process's own steps only.
  void reportProgress(RunPhase phase, int step, int total, int stepsBefore, double phaseStart,
                      int64_t tokensSoFar, std::vector<MetricPoint> latest);
  CheckpointInfo infoFor(const TrainedModel& m) const;
  /// The device, precision and peak memory so far, for the status bar and summary.json.
  ComputeUse computeUse() const;

  /// Between steps: waits while paused, takes live setting changes; false when the run must stop.
  /// Ranks of a group follow rank 0's RunControl (it broadcasts a StepDecision every step).
  /// (live_control.cpp)
  bool proceed(int step);
  /// Steps `models` (side by side on up to `workers` threads) until each has stepped; a NaN/Inf
  /// fault fails the run, or (GUI) pauses it and retries the faulty models after resume. False
  /// when the run was cancelled meanwhile. (lockstep.cpp)
  bool stepAll(int step, const std::vector<TrainedModel*>& models, int workers,
               const std::function<PendingStep(size_t)>& compute, std::vector<StepLosses>& results);

  /// Steps of `phase` already done by the checkpoint this run resumes from (0: none).
  int resumedSteps(RunPhase phase) const;
  const ResumePoint* resumePoint() const { return m_resume; }
  /// Writes a resumable checkpoint of `phase` after `step` (see resume_point.h). (resume_io.cpp)
  void saveResumePoint(RunPhase phase, int step, int totalSteps, const std::string& samplerState,
                       const std::string& sequenceSamplerState = {});

  /// The teacher's top-k logits for every student step, from distill.cache_path when it matches,
  /// else computed now into the run directory. Null when the run was cancelled meanwhile.
  /// (teacher_data.cpp)
  std::unique_ptr<LogitCache> openOrBuildCache(const DistillConfig& settings, int steps,
                                               uint64_t samplerSeed);
  /// Sequence-level KD's training set: from distill.sequence_path when it matches, else generated
  /// by the teacher now into the run directory — continuations of running text, or for examples the
  /// teacher's answers to the training prompts, packed with response flags. Undefined tokens when
  /// the run was cancelled meanwhile. (teacher_data.cpp)
  SequenceSet openOrBuildSequences(const DistillConfig& settings);

private:
  /// openOrBuildSequences for examples: teacher_responses.jsonl. (teacher_data.cpp)
  SequenceSet openOrBuildResponses(const DistillConfig& settings);
  /// One lockstep step of every student; appends their training losses to `latest`. False when
  /// the run was stopped meanwhile. (student_phase.cpp)
  bool studentStep(int step, int total, BatchSampler& sampler, TargetSources& sources,
                   std::vector<MetricPoint>& latest);
  void loadCorpusAndTeacher(std::unique_ptr<LoadedModel>& loaded, std::string& source);
  CorpusOptions corpusOptions() const;
  void adoptPretrainedTeacher(const LoadedModel& loaded, const std::string& source);
  void openRunStore();
  /// Teacher `index` (of config().teacherMembers()): loaded, or built to be trained.
  void buildTeacher(size_t index, std::unique_ptr<LoadedModel> loaded, const std::string& source);
  /// The ensemble's members after the first: each checkpoint or Hugging Face folder loaded and
  /// checked against the run's tokenizer; the others built to be trained.
  void buildOtherTeachers();
  /// One teacher's phase; false when the run was stopped. (teacher_phase.cpp)
  bool trainTeacher(TrainedModel& teacher, size_t index);
  /// The teachers' logits on the validation batches: each member's (ensembles) and their
  /// combination, the reference of the students' agreement and KL. (student_phase.cpp)
  void computeTeacherValLogits();
  void buildStudents(int64_t vocab);
  /// The view of tokenizer `spec`: the corpus tokenized by it, once per run. (run_setup.cpp)
  CorpusView* openView(const std::string& spec);
  std::unique_ptr<FeatureSetup> featureSetupFor(const StudentConfig& student, const DistillConfig& d) const;
  void synchronizeWeights();
  /// One repeat: the teacher's phase (first repeat, or every one with repeat_teacher), the students'.
  bool trainRepeat();
  /// Fresh students (and teacher, with repeat_teacher) seeded for repeat `repeat`.
  void startRepeat(int repeat);
  /// Keeps the finished repeat's numbers (repeats.json) and its students' checkpoints.
  void recordRepeat();
  /// Puts the repeats' numbers into `out` (means, with each repeat's beside them).
  void summarizeRepeats(std::vector<ModelSummary>& out) const;
  /// The teacher without training: loaded, evaluated, saved (and skipped on a students' resume).
  void useTrainedTeacher(TrainedModel& teacher);
  void saveAll();
  /// Each model's training tokens per second, stepping alone. (run_summary.cpp)
  void measureTrainingSpeed(const std::vector<TrainedModel*>& models, std::vector<ModelSummary>& out);
  /// Prompt/response data: every trained model's greedy answers to the held-out prompts, scored,
  /// and responses.jsonl. (run_summary.cpp)
  void answerHeldOutPrompts(const std::vector<TrainedModel*>& models, std::vector<ModelSummary>& out);
  /// The models trained in a phase: the teacher, or the students.
  std::vector<TrainedModel*> modelsOf(RunPhase phase);
  void restoreResumePoint();
  void applyLiveSettings(int step, const LiveSettings& changes);
  /// The global distillation settings and every student's: a live change applies to all.
  std::vector<DistillConfig*> allDistillSettings();
  std::vector<std::exception_ptr> stepModels(const std::vector<TrainedModel*>& models, int workers,
                                             const std::function<PendingStep(size_t)>& compute,
                                             std::vector<StepLosses>& results);
  /// Records a failure in the result and, when the run folder exists, in its summary.
  void recordFailure(RunResult& result, const std::exception& e);

  ExperimentConfig m_config;
  RunOptions m_options;
  RunObserver& m_observer;
  RunControl& m_control;
  int m_threads;
  torch::Device m_device{torch::kCPU};
  const ResumePoint* m_resume;
  Collective* m_group;
  Clock::time_point m_start = Clock::now();
  double m_elapsedBefore = 0.0;  // training time of the run before the checkpoint it resumed from
  double m_pausedSeconds = 0.0;  // time this process waited while the run was paused
  std::unique_ptr<RunStore> m_store;
  Corpus m_corpus;
  std::vector<Batch> m_valBatches;
  double m_valCharsPerToken = 1.0;  // of m_valBatches' targets: turns val loss into bits per character
  std::vector<torch::Tensor>
      m_teacherValLogits;  // the teacher's, or the ensemble's (distill.ensemble, T = 1)
  std::vector<std::vector<torch::Tensor>> m_memberValLogits;  // an ensemble's: each member's
  std::vector<TrainedModel> m_teachers;                       // one, or an ensemble's members
  size_t m_teacherInTraining = 0;        // the member whose phase runs (its resume points name it)
  std::vector<TrainedModel> m_students;  // pairs: <name>-kd, <name>-scratch
  std::vector<std::unique_ptr<CorpusView>> m_views;  // students' own tokenizations
  ThroughputMeter m_studentsMeter;                   // the student phase's rate, all students together
  int64_t m_vocab = 0;                               // the students' output size
  int m_repeat = 1;
  std::map<std::string, std::vector<RepeatOutcome>> m_outcomes;  // finished repeats, by model
};

/// Stops the run when the teacher's logits hold NaN or +Inf: they would vanish silently inside the
/// KL-type losses (their probability fails p > 0). -Inf is a legitimate "never" and passes.
void requireFiniteTeacherLogits(const torch::Tensor& logits, const std::string& where);

}  // namespace distill
