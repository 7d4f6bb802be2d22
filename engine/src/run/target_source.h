#pragma once

// Where a distilled student's batch and soft targets come from, one regime per source:
//   online teacher     the corpus batch, the teacher's logits on it (Hinton);  online_teacher_source.cpp
//   logit cache        the corpus batch, the teacher's top-k logits read back;  logit_cache_source.cpp
//   teacher sequences  sequences the teacher wrote once (Kim & Rush);          teacher_sequence_source.cpp
//   on-policy          the student's own continuations, scored by the teacher; on_policy_source.cpp
// Adding a regime is one source file, its line in TargetSources::open and its schema keys.

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "data/corpus.h"
#include "distill/config.h"
#include "kd/response_rollouts.h"
#include "kd/student_loss.h"
#include "run/trained_model.h"

namespace distill {

class ExperimentRun;
class LogitCache;
class SequenceSampler;

/// What a distilled student trains on in one step (targets null: hard labels only).
struct StudentInput {
  Batch batch;
  const SoftTargets* targets = nullptr;
};

/// The teacher as the source of soft targets: its logits (and trace, for feature losses) on a
/// batch; for an ensemble, every member's logits stacked with their weights (teacher_ensemble.h).
class TeacherOracle {
public:
  /// The teachers' inference runs in `precision` (autocast) on the device of their weights.
  /// `weights`: the members' shares (normalised here); one member: a single teacher.
  TeacherOracle(std::vector<LanguageModelImpl*> members, const std::vector<double>& weights,
                std::vector<std::string> names, int threads, Precision precision);
  SoftTargets on(const torch::Tensor& x, ForwardTrace* trace, int step) const;
  torch::Device device() const { return deviceOf(*m_members.front()); }

private:
  std::vector<LanguageModelImpl*> m_members;
  std::vector<double> m_weights;
  std::vector<std::string> m_names;  // the members' `name`s
  int m_threads;
  Precision m_precision;
};

/// Whether a student needs the teacher's distribution on its batch this step.
inline bool needsTeacherTargets(const DistillConfig& now) { return now.alpha > 0.0 || now.usesFeatures(); }

class TargetSource {
public:
  virtual ~TargetSource() = default;
  /// Once at the start of every step, before any inputFor.
  virtual void beginStep(int step, const Batch& corpusBatch) = 0;
  /// `student`'s batch and targets this step, under its scheduled settings `now`. The targets stay
  /// valid until the next beginStep.
  virtual StudentInput inputFor(TrainedModel& student, const DistillConfig& now, int step) = 0;
  /// Where the source's own sampler stands (saved with a resumable checkpoint); "" when it has none.
  virtual std::string samplerState() const { return {}; }
  virtual void restoreSampler(const std::string& /*state*/) {}
};

std::unique_ptr<TargetSource> makeOnlineTeacherSource(const TeacherOracle& teacher, bool withTrace);
std::unique_ptr<TargetSource> makeLogitCacheSource(std::unique_ptr<LogitCache> cache);
std::unique_ptr<TargetSource> makeTeacherSequenceSource(const TeacherOracle& teacher,
                                                        std::unique_ptr<SequenceSampler> sampler,
                                                        bool withTrace);
/// Off on-policy steps the student reads `offPolicy` (the online teacher or the logit cache). With
/// `prompts` (prompt/response data) the student answers them; without, it continues corpus prefixes.
std::unique_ptr<TargetSource> makeOnPolicySource(const TeacherOracle& teacher, TargetSource& offPolicy,
                                                 int blockSize, const PromptPool* prompts);

struct CorpusView;
/// A student with its own tokenizer, ULD: its own windows; the teacher's logits on the same text
/// in the teacher's tokens. (cross_tokenizer_source.cpp)
std::unique_ptr<TargetSource> makeCrossTokenizerSource(const TeacherOracle& teacher, const CorpusView& view,
                                                       const Tokenizer& teacherTokenizer);
/// A student with its own tokenizer, sequence-level: the teacher's sequences re-tokenized
/// (`sampler` over them), cross-entropy alone.
std::unique_ptr<TargetSource> makeTextLevelSequenceSource(std::unique_ptr<SequenceSampler> sampler,
                                                          torch::Device device);

/// The sources of one student phase and which distilled student reads which.
class TargetSources {
public:
  /// Opens (or has the teacher build: logit cache, sequence set) what the students need. Null when
  /// the run was stopped meanwhile.
  static std::unique_ptr<TargetSources> open(ExperimentRun& run, int totalSteps, uint64_t samplerSeed);

  void beginStep(int step, const Batch& corpusBatch);
  /// Student `index`'s input (a distilled one's).
  StudentInput inputFor(size_t index, TrainedModel& student, const DistillConfig& now, int step);
  /// The sequence sampler's state ("" without sequence-level students).
  std::string samplerState() const;
  void restoreSampler(const std::string& state);
  /// True when the teacher wrote a cache or sequence set first (a phase of its own).
  bool teacherWroteData() const { return m_teacherWroteData; }

private:
  TargetSources() = default;
  TargetSource* add(std::unique_ptr<TargetSource> source);
  /// The training prompts on-policy students answer (null for running text); made once.
  const PromptPool* promptsFor(const ExperimentRun& run);

  std::unique_ptr<TeacherOracle> m_teacher;
  std::unique_ptr<PromptPool> m_prompts;                 // on-policy students on prompt/response data
  std::vector<std::unique_ptr<TargetSource>> m_sources;  // beginStep runs in this order
  std::vector<TargetSource*> m_ofStudent;                // null for scratch twins
  TargetSource* m_sequences = nullptr;
  std::vector<TargetSource*> m_viewSequences;  // students' own tokens' sequence sets, one per view
  bool m_teacherWroteData = false;
};

}  // namespace distill
