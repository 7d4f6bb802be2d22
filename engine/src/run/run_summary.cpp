// After the last step: the final checkpoints and every model's numbers for summary.json and
// methods.csv — validation loss, agreement, and speeds each measured with the model alone.

#include <algorithm>
#include <cmath>
#include <functional>

#include "models/sampling.h"
#include "run/experiment_run.h"
#include "run/held_out_answers.h"

namespace distill {

namespace {

/// The median of `repeats` rates measured by `run` (returns the tokens it made): single timings
/// vary a lot on a busy machine.
double medianTokensPerSecond(const std::function<int64_t()>& run, int repeats = 3) {
  std::vector<double> rates;
  for (int i = 0; i < repeats; ++i) {
    const auto begin = ExperimentRun::Clock::now();
    const int64_t tokens = run();
    const double seconds = std::chrono::duration<double>(ExperimentRun::Clock::now() - begin).count();
    rates.push_back(seconds > 0.0 ? static_cast<double>(tokens) / seconds : 0.0);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace

void ExperimentRun::saveAll() {
  // A student that never stepped (the run stopped in the teacher's phase) is no model to keep.
  for (auto& m : m_students)
    if (m.steps > 0) saveCheckpoint(checkpointOf(m), *m.model, infoFor(m));
}

std::vector<ModelSummary> ExperimentRun::summarize(bool measureSpeed) {
  std::vector<ModelSummary> out;
  std::vector<TrainedModel*> all;
  for (auto& t : m_teachers) all.push_back(&t);
  if (m_teachers.size() > 1 && !m_teacherValLogits.empty()) {
    // Each member against the ensemble (one process: validation refuses data-parallel ensembles).
    for (auto& t : m_teachers) {
      const auto e = evaluate(*t.model, m_valBatches, &m_teacherValLogits);
      t.lastEval.agreement = e.agreement;
      t.lastEval.klFromTeacher = e.klFromTeacher;
    }
  }
  for (auto& m : m_students) all.push_back(&m);
  const auto& g = m_config.generate;
  const auto prompts = samplePrompts();
  const std::string promptText = prompts.empty() ? std::string() : prompts.front();
  for (auto* m : all) {
    ModelSummary s;
    s.name = m->name;
    s.role = m->role;
    s.arch = nameOf(m->model->spec().arch);
    s.params = m->model->parameterCount();
    s.steps = m->steps;
    s.trained = m->role == ModelRole::Teacher || m->steps > 0;
    if (!s.trained) {
      out.push_back(s);  // not trained: no numbers (null in summary.json, "—" in tables)
      continue;
    }
    s.valLoss = m->lastEval.loss;
    s.valPerplexity = std::exp(m->lastEval.loss);
    s.valBitsPerChar = m->lastEval.bitsPerChar;
    s.agreement = m->lastEval.agreement;
    s.klFromTeacher = m->lastEval.klFromTeacher;
    for (size_t i = 0; i < m->lastEval.byTeacher.size(); ++i)
      s.byTeacher.push_back(
          {m_teachers[i].name, m->lastEval.byTeacher[i].agreement, m->lastEval.byTeacher[i].kl});
    if (measureSpeed) {
      const auto prompt = tokenizerOf(*m).encode(promptText);
      // Batch 1, 256 new tokens, as a user would generate: with the KV cache / carried state, and
      // by full recompute for comparison.
      SamplingOptions options{256, g.temperature, g.top_k, g.top_p, static_cast<uint64_t>(g.seed), false};
      s.genTokensPerSecond = medianTokensPerSecond(
          [&] { return static_cast<int64_t>(generateIds(*m->model, prompt, options).size()); });
      s.genRecomputeTokensPerSecond = medianTokensPerSecond(
          [&] { return static_cast<int64_t>(generateIdsByRecompute(*m->model, prompt, options).size()); });
    }
    out.push_back(s);
  }
  answerHeldOutPrompts(all, out);
  const double teacherRate = out.front().genTokensPerSecond;  // the teacher comes first
  for (auto& s : out)
    s.genSpeedupVsTeacher =
        teacherRate > 0.0 ? s.genTokensPerSecond / teacherRate : ModelSummary::kNotMeasured;
  if (measureSpeed) measureTrainingSpeed(all, out);
  summarizeRepeats(out);
  return out;
}

void ExperimentRun::answerHeldOutPrompts(const std::vector<TrainedModel*>& models,
                                         std::vector<ModelSummary>& out) {
  const auto wanted = static_cast<size_t>(m_config.generate.held_out_prompts);
  const auto& all = m_corpus.valExamples;
  if (all.empty() || wanted == 0) return;
  const std::vector<Example> examples(all.begin(),
                                      all.begin() + static_cast<long>(std::min(wanted, all.size())));
  m_observer.onMessage("answering " + std::to_string(examples.size()) + " held-out prompts with every model");
  std::vector<std::pair<std::string, std::vector<std::string>>> answers;  // the teacher's first
  for (size_t i = 0; i < models.size(); ++i) {
    if (!out[i].trained) continue;
    auto texts = answerHeldOut(*models[i]->model, m_corpus.tokenizer, examples, m_config.data.response_end,
                               m_config.generate.max_new_tokens, [this] { return !m_control.isCancelled(); });
    if (texts.size() < examples.size()) return;  // cancelled: no partial scores
    out[i].responses = scoreAnswers(texts, examples, answers.empty() ? nullptr : &answers.front().second);
    answers.emplace_back(models[i]->name, std::move(texts));
  }
  if (!lead()) return;
  std::vector<std::string> prompts, references;
  for (const auto& e : examples) {
    prompts.push_back(e.prompt);
    references.push_back(e.response);
  }
  m_store->writeResponses(prompts, references, answers);
}

void ExperimentRun::measureTrainingSpeed(const std::vector<TrainedModel*>& models,
                                         std::vector<ModelSummary>& out) {
  // During the run the students step side by side, one thread each, so a student's own step time
  // there depends on what runs beside it (it grew with its position in the list). Here each model
  // steps alone on this process's threads: forward and backward of one training batch with
  // cross-entropy (a warm-up, then the median of 7 timings of 4 steps), the update left out so that the
  // trained weights stay as they are.
  if (m_valBatches.empty()) return;
  for (size_t i = 0; i < models.size(); ++i) {
    if (!out[i].trained || !models[i]->trainer) continue;
    const Batch& batch =
        (models[i]->view ? models[i]->view->valBatches : m_valBatches).front();  // its own ids
    const int64_t tokens = batch.x.numel();
    auto& trainer = *models[i]->trainer;
    trainer.computeGradients(batch);  // warm-up: first-touch allocations stay out of the timing
    // Each timing covers 4 steps: one step of a small model is ~10 ms, too short to time alone.
    constexpr int kStepsPerTiming = 4;
    out[i].trainTokensPerSecond = medianTokensPerSecond(
        [&] {
          for (int s = 0; s < kStepsPerTiming; ++s) trainer.computeGradients(batch);
          return tokens * kStepsPerTiming;
        },
        7);
  }
}

}  // namespace distill
