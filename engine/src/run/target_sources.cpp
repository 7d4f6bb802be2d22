// Which source each distilled student reads, and the sources' one-time preparation (the logit
// cache and the teacher's sequence set, shared by every student whose settings match: validation
// has checked that they all do).

#include "distill/errors.h"
#include "kd/logit_cache.h"
#include "kd/teacher_sequences.h"
#include "run/experiment_run.h"
#include "run/target_source.h"

namespace distill {

SoftTargets TeacherOracle::on(const torch::Tensor& x, ForwardTrace* trace, int step) const {
  torch::NoGradGuard noGrad;
  SoftTargets targets;
  if (trace) {
    const AutocastScope autocast(x.device().type(), m_precision);
    targets.teacherLogits = m_teacher.forwardWithTrace(x, *trace);
  } else {
    targets.teacherLogits = forwardInChunks(m_teacher, x, m_threads, m_precision);
  }
  requireFiniteTeacherLogits(targets.teacherLogits, "student step " + std::to_string(step));
  targets.teacherTrace = trace;
  return targets;
}

namespace {

bool readsSequences(const DistillConfig& d) { return d.regime == Regime::Sequence; }
bool readsCache(const DistillConfig& d) { return !readsSequences(d) && d.cache_top_k > 0; }
bool readsOnlineTeacher(const DistillConfig& d) { return !readsSequences(d) && d.cache_top_k == 0; }

/// The settings of the first distilled student that `reads` (null: none does).
template <class Reads>
const DistillConfig* firstReader(const std::vector<TrainedModel>& students, Reads reads) {
  for (const auto& m : students)
    if (m.distilled() && reads(m.distill)) return &m.distill;
  return nullptr;
}

template <class Reads>
bool anyTracedReader(const std::vector<TrainedModel>& students, Reads reads) {
  for (const auto& m : students)
    if (m.distilled() && reads(m.distill) && m.distill.usesFeatures()) return true;
  return false;
}

}  // namespace

TargetSource* TargetSources::add(std::unique_ptr<TargetSource> source) {
  m_sources.push_back(std::move(source));
  return m_sources.back().get();
}

std::unique_ptr<TargetSources> TargetSources::open(ExperimentRun& run, int totalSteps, uint64_t samplerSeed) {
  auto& students = run.students();
  std::unique_ptr<TargetSources> out(new TargetSources);
  out->m_teacher =
      std::make_unique<TeacherOracle>(*run.teacher().model, run.threads(), run.config().train.precision);
  const TeacherOracle& teacher = *out->m_teacher;
  TargetSource* online =
      out->add(makeOnlineTeacherSource(teacher, anyTracedReader(students, readsOnlineTeacher)));
  TargetSource* cache = nullptr;
  if (const auto* settings = firstReader(students, readsCache)) {
    auto opened = run.openOrBuildCache(*settings, totalSteps, samplerSeed);
    if (!opened) return nullptr;
    cache = out->add(makeLogitCacheSource(std::move(opened)));
    out->m_teacherWroteData = true;
  }
  if (const auto* settings = firstReader(students, readsSequences)) {
    auto sequences = run.openOrBuildSequences(*settings);
    if (!sequences.tokens.defined()) return nullptr;
    auto sampler = std::make_unique<SequenceSampler>(std::move(sequences), run.config().train.batch_size,
                                                     samplerSeed + 5);
    out->m_sequences = out->add(
        makeTeacherSequenceSource(teacher, std::move(sampler), anyTracedReader(students, readsSequences)));
    out->m_teacherWroteData = true;
  }
  for (const auto& m : students) {
    TargetSource* source = nullptr;
    if (m.distilled()) {
      TargetSource* wordLevel = readsCache(m.distill) ? cache : online;
      if (readsSequences(m.distill)) {
        source = out->m_sequences;
      } else if (m.distill.regime == Regime::OnPolicy) {
        source = out->add(
            makeOnPolicySource(teacher, *wordLevel, run.config().data.block_size, out->promptsFor(run)));
      } else {
        source = wordLevel;
      }
    }
    out->m_ofStudent.push_back(source);
  }
  return out;
}

const PromptPool* TargetSources::promptsFor(const ExperimentRun& run) {
  const auto& data = run.config().data;
  if (!data.examples()) return nullptr;
  if (!m_prompts) {
    const auto& corpus = run.corpus();
    m_prompts = std::make_unique<PromptPool>(
        makePromptPool(corpus.trainExamples, corpus.tokenizer, data.response_end, data.block_size));
    if (m_prompts->prompts.empty())
      throw EngineError("data.corpus " + data.corpus +
                        ": on_policy students answer training prompts, and none " +
                        "is between 1 and data.block_size − 1 tokens");
  }
  return m_prompts.get();
}

void TargetSources::beginStep(int step, const Batch& corpusBatch) {
  for (auto& source : m_sources) source->beginStep(step, corpusBatch);
}

StudentInput TargetSources::inputFor(size_t index, TrainedModel& student, const DistillConfig& now,
                                     int step) {
  return m_ofStudent[index]->inputFor(student, now, step);
}

std::string TargetSources::samplerState() const {
  return m_sequences ? m_sequences->samplerState() : std::string();
}

void TargetSources::restoreSampler(const std::string& state) {
  if (m_sequences) m_sequences->restoreSampler(state);
}

}  // namespace distill
