// Which source each distilled student reads, and the sources' one-time preparation (the logit
// cache and the teacher's sequence set, shared by every student whose settings match: validation
// has checked that they all do).

#include <map>
#include <nlohmann/json.hpp>
#include "distill/errors.h"

#include "kd/cross_tokenizer.h"
#include "kd/logit_cache.h"
#include "kd/teacher_ensemble.h"
#include "kd/teacher_sequences.h"
#include "run/experiment_run.h"
#include "run/target_source.h"

namespace distill {

TeacherOracle::TeacherOracle(std::vector<LanguageModelImpl*> members, const std::vector<double>& weights,
                             std::vector<std::string> names, int threads, Precision precision)
    : m_members(std::move(members)),
      m_weights(normalizedWeights(weights)),
      m_names(std::move(names)),
      m_threads(threads),
      m_precision(precision) {}

SoftTargets TeacherOracle::on(const torch::Tensor& x, ForwardTrace* trace, int step) const {
  torch::NoGradGuard noGrad;
  SoftTargets targets;
  if (m_members.size() > 1) {
    // Validation refuses feature losses with an ensemble: there is no one teacher's trace.
    TORCH_CHECK(!trace, "feature losses need a single teacher");
    std::vector<torch::Tensor> logits;
    for (auto* member : m_members) logits.push_back(forwardInChunks(*member, x, m_threads, m_precision));
    targets.teacherLogits = torch::stack(logits);
    targets.memberWeights = m_weights;
    targets.memberNames = m_names;
  } else if (trace) {
    const AutocastScope autocast(x.device().type(), m_precision);
    targets.teacherLogits = m_members.front()->forwardWithTrace(x, *trace);
  } else {
    targets.teacherLogits = forwardInChunks(*m_members.front(), x, m_threads, m_precision);
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
  std::vector<LanguageModelImpl*> members;
  std::vector<double> weights;
  std::vector<std::string> names;
  for (auto& t : run.teachers()) members.push_back(t.model.get());
  for (const auto& t : run.config().teacherMembers()) {
    weights.push_back(t.weight);
    names.push_back(t.name);
  }
  out->m_teacher =
      std::make_unique<TeacherOracle>(members, weights, names, run.threads(), run.config().train.precision);
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
  SequenceSet teacherSequences;  // kept for students who read them in their own tokens
  if (const auto* settings = firstReader(students, readsSequences)) {
    auto sequences = run.openOrBuildSequences(*settings);
    if (!sequences.tokens.defined()) return nullptr;
    teacherSequences = sequences;
    auto sampler = std::make_unique<SequenceSampler>(std::move(sequences), run.config().train.batch_size,
                                                     samplerSeed + 5);
    out->m_sequences = out->add(
        makeTeacherSequenceSource(teacher, std::move(sampler), anyTracedReader(students, readsSequences)));
    out->m_teacherWroteData = true;
  }
  std::map<const CorpusView*, TargetSource*> viewSequences, viewUld;  // one of each per tokenizer
  for (const auto& m : students) {
    TargetSource* source = nullptr;
    if (m.distilled() && m.view && readsSequences(m.distill)) {
      auto& shared = viewSequences[m.view];
      if (!shared) {
        auto set = retokenizeSequences(teacherSequences, run.corpus().tokenizer, m.view->corpus.tokenizer,
                                       run.config().data.block_size + 1);
        run.observer().onMessage("the teacher's sequences in " + m.view->tokenizerSpec +
                                 " tokens: " + std::to_string(set.tokens.size(0)) + " rows");
        shared = out->add(makeTextLevelSequenceSource(
            std::make_unique<SequenceSampler>(std::move(set), run.config().train.batch_size, samplerSeed + 5),
            run.device()));
        out->m_viewSequences.push_back(shared);
      }
      source = shared;
    } else if (m.distilled() && m.view) {
      auto& shared = viewUld[m.view];
      if (!shared) shared = out->add(makeCrossTokenizerSource(teacher, *m.view, run.corpus().tokenizer));
      source = shared;
    } else if (m.distilled()) {
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
  const std::string own = m_sequences ? m_sequences->samplerState() : std::string();
  if (m_viewSequences.empty()) return own;
  // With students' own tokens' sequence sets: every sampler's state, as a JSON list (the run's first).
  nlohmann::json all = nlohmann::json::array({own});
  for (const auto* source : m_viewSequences) all.push_back(source->samplerState());
  return all.dump();
}

void TargetSources::restoreSampler(const std::string& state) {
  if (m_viewSequences.empty()) {
    if (m_sequences) m_sequences->restoreSampler(state);
    return;
  }
  const auto all = nlohmann::json::parse(state, nullptr, false);
  if (!all.is_array() || all.size() != m_viewSequences.size() + 1)
    throw EngineError("cannot resume: the sequence samplers' state does not match the students");
  if (m_sequences) m_sequences->restoreSampler(all[0].get<std::string>());
  for (size_t i = 0; i < m_viewSequences.size(); ++i)
    m_viewSequences[i]->restoreSampler(all[i + 1].get<std::string>());
}

}  // namespace distill
