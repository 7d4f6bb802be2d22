// Repeats (train.repeats): the student phase again with another seed — fresh initial weights and
// another batch order — so that a distilled student's gain over its scratch twin can be told from
// seed noise. The twin keeps sharing its student's initial weights and batches in each repeat; the
// teacher trains once and is shared unless train.repeat_teacher retrains it every time.

#include <cmath>

#include "run/experiment_run.h"

namespace distill {

bool ExperimentRun::trainRepeats() {
  const int repeats = m_config.train.repeats;
  while (true) {
    if (repeats > 1)
      m_observer.onMessage("repeat " + std::to_string(m_repeat) + " of " + std::to_string(repeats) +
                           " (seed " + std::to_string(seed()) + ")");
    if (!trainRepeat()) return false;
    recordRepeat();
    if (m_repeat >= repeats) return true;
    startRepeat(m_repeat + 1);
  }
}

bool ExperimentRun::trainRepeat() {
  const bool teacherTrainsNow = m_repeat == 1 || m_config.train.repeat_teacher;
  if (teacherTrainsNow && m_resume && m_resume->phase == RunPhase::Students) {
    // The teachers' phase ended before the checkpoint; their numbers are already in the run.
    m_observer.onPhase(RunPhase::Teacher, 0);
    for (auto& teacher : m_teachers) measureOnValidation(teacher);
  } else if (teacherTrainsNow && !trainTeachers()) {
    return false;
  }
  return trainStudents();
}

void ExperimentRun::startRepeat(int repeat) {
  m_repeat = repeat;
  m_resume = nullptr;  // a resumed run resumed its own repeat; the next ones start afresh
  if (m_config.train.repeat_teacher)
    for (size_t i = 0; i < m_teachers.size(); ++i)
      if (m_teachers[i].trainer) buildTeacher(i, nullptr, "");
  m_students.clear();
  buildStudents(m_vocab);
}

std::string ExperimentRun::checkpointOf(const TrainedModel& m) const {
  const bool shared = m.role == ModelRole::Teacher && !m_config.train.repeat_teacher;
  return m_store->checkpointPath(m.name, shared ? 1 : m_repeat);
}

void ExperimentRun::recordRepeat() {
  if (m_config.train.repeats <= 1 || !lead()) return;
  std::vector<const TrainedModel*> trained;
  if (m_config.train.repeat_teacher)
    for (const auto& t : m_teachers) trained.push_back(&t);
  for (const auto& m : m_students) trained.push_back(&m);
  for (const auto* m : trained) {
    const bool isTeacher = m->role == ModelRole::Teacher;
    RepeatOutcome o;
    o.repeat = m_repeat;
    o.seed = isTeacher ? teacherSeed() : seed();
    o.steps = m->steps;
    o.valLoss = m->lastEval.loss;
    o.valPerplexity = std::exp(m->lastEval.loss);
    o.valBitsPerChar = m->lastEval.bitsPerChar;
    if (!isTeacher) {
      o.agreement = m->lastEval.agreement;
      o.klFromTeacher = m->lastEval.klFromTeacher;
    }
    m_outcomes[m->name].push_back(o);
  }
  m_store->writeRepeatOutcomes(m_outcomes);
  // The last repeat's models are saved with the run's end (saveAll).
  if (m_repeat < m_config.train.repeats) saveAll();
}

void ExperimentRun::summarizeRepeats(std::vector<ModelSummary>& out) const {
  for (auto& s : out) {
    const auto it = m_outcomes.find(s.name);
    if (it == m_outcomes.end() || it->second.empty()) continue;
    s.repeats = it->second;
    s.trained = true;  // in the finished repeats, whatever the stopped one reached
    s.valLoss = spreadOf(s.repeats, &RepeatOutcome::valLoss).mean;
    s.valPerplexity = spreadOf(s.repeats, &RepeatOutcome::valPerplexity).mean;
    s.valBitsPerChar = spreadOf(s.repeats, &RepeatOutcome::valBitsPerChar).mean;
    if (s.role == ModelRole::Teacher) continue;
    s.agreement = spreadOf(s.repeats, &RepeatOutcome::agreement).mean;
    s.klFromTeacher = spreadOf(s.repeats, &RepeatOutcome::klFromTeacher).mean;
  }
}

}  // namespace distill
