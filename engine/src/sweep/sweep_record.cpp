#include "sweep/sweep_record.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "distill/errors.h"
#include "distill/twin_comparison.h"
#include "store/model_summary_json.h"
#include "util/paths.h"

namespace distill {

namespace {

using Json = nlohmann::ordered_json;
constexpr int kFormat = 1;

Json number(double v) { return std::isfinite(v) ? Json(v) : Json(); }
double numberOr(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : std::nan("");
}

Json trialJson(const SweepState& state, const SweepTrial& t) {
  Json values = Json::object();
  for (size_t i = 0; i < t.values.size() && i < state.file.sweep.parameters.size(); ++i)
    values[state.file.sweep.parameters[i].key] = t.values[i];
  Json models = Json::array();
  for (const auto& m : t.models) {
    Json entry = {{"name", m.name}};
    entry.update(modelSummaryJson(m));
    models.push_back(entry);
  }
  return {{"id", t.id},
          {"baseline", t.baseline},
          {"values", values},
          {"status", statusName(t.status)},
          {"run_dir", t.runDir},
          {"teacher_run", t.teacherRun},
          {"scratch_from", t.scratchFrom},
          {"objective", number(t.objective)},
          {"objective_step", t.objectiveStep},
          {"wall_s", t.wallSeconds},
          {"stop_reason", t.stopReason},
          {"models", models}};
}

SweepTrial trialFrom(const SweepState& state, const Json& j) {
  SweepTrial t;
  t.id = j.at("id").get<int>();
  t.baseline = j.value("baseline", false);
  for (const auto& p : state.file.sweep.parameters) t.values.push_back(j.at("values").value(p.key, ""));
  t.status =
      enumFromName<SweepTrial::Status>(j.value("status", "pending")).value_or(SweepTrial::Status::Pending);
  t.runDir = j.value("run_dir", "");
  t.teacherRun = j.value("teacher_run", -1);
  t.scratchFrom = j.value("scratch_from", std::map<std::string, int>());
  t.objective = numberOr(j, "objective");
  t.objectiveStep = j.value("objective_step", 0);
  t.wallSeconds = j.value("wall_s", 0.0);
  t.stopReason = j.value("stop_reason", "");
  for (const auto& m : j.value("models", Json::array()))
    t.models.push_back(modelSummaryFromJson(m.value("name", ""), m));
  return t;
}

Json definitionJson(const SweepDefinition& s) {
  Json params = Json::array();
  for (const auto& p : s.parameters) {
    Json entry = {{"key", p.key}, {"range", nameOf(p.kind)}};
    if (p.isRange()) {
      entry["low"] = p.low;
      entry["high"] = p.high;
    } else {
      entry["values"] = p.values;
    }
    params.push_back(entry);
  }
  return {{"parameters", params},
          {"strategy", nameOf(s.strategy)},
          {"max_trials", s.maxTrials},
          {"planned_trials", s.plannedTrials()},
          {"objective",
           {{"model", s.objective.model},
            {"metric", s.objective.metric},
            {"goal", s.objective.minimize ? "minimize" : "maximize"}}},
          {"seed", s.seed},
          {"early_stopping",
           {{"rule", nameOf(s.earlyStopping)}, {"min_trials", s.minTrials}, {"grace_evals", s.graceEvals}}},
          {"parallel", s.parallel},
          {"baseline", s.baseline}};
}

/// A CSV field: quoted when it holds a separator, a quote or a line break.
std::string csvField(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string csvNumber(double v, int digits = 6) {
  if (!std::isfinite(v)) return "";
  std::ostringstream out;
  out.precision(digits);
  out << v;
  return out.str();
}

/// The objective's number of a model's summary or of one of its repeats (the same field names).
template <class Numbers>
double objectiveValue(const SweepObjective& objective, const Numbers& m) {
  if (objective.metric == "val_perplexity") return m.valPerplexity;
  if (objective.metric == "bits_per_char") return m.valBitsPerChar;
  if (objective.metric == "agreement") return m.agreement;
  if (objective.metric == "kl_from_teacher") return m.klFromTeacher;
  return m.valLoss;
}

}  // namespace

const char* statusName(SweepTrial::Status status) { return nameOf(status); }

const ModelSummary* SweepTrial::model(const std::string& name) const {
  for (const auto& m : models)
    if (m.name == name) return &m;
  return nullptr;
}

int bestTrial(const std::vector<SweepTrial>& trials, const SweepObjective& objective) {
  const SweepTrial* best = nullptr;
  for (const auto& t : trials) {
    if (t.status != SweepTrial::Status::Completed || !std::isfinite(t.objective)) continue;
    if (!best || (objective.minimize ? t.objective < best->objective : t.objective > best->objective))
      best = &t;
  }
  return best ? best->id : -1;
}

std::optional<TwinPair> trialTwin(const std::vector<SweepTrial>& trials, const SweepTrial& trial,
                                  const std::string& student) {
  const ModelSummary* teacher = referenceTeacher(trial.models);
  const ModelSummary* kd = trial.model(student + "-kd");
  const ModelSummary* scratch = trial.model(student + "-scratch");
  if (!scratch) {  // borrowed from the trial that trained it
    const auto from = trial.scratchFrom.find(student);
    for (const auto& owner : trials)
      if (from != trial.scratchFrom.end() && owner.id == from->second)
        scratch = owner.model(student + "-scratch");
  }
  if (!teacher || !kd || !scratch || trial.status != SweepTrial::Status::Completed) return std::nullopt;
  TwinPair pair;
  pair.student = student;
  pair.distilled = kd;
  pair.scratch = scratch;
  pair.comparison = compareWithTwin(teacher->valLoss, kd->valLoss, scratch->valLoss);
  pair.paired = pairedOverRepeats(kd->repeats, scratch->repeats);
  return pair;
}

double gapRecovered(const std::vector<SweepTrial>& trials, const SweepTrial& trial,
                    const std::string& student) {
  const auto pair = trialTwin(trials, trial, student);
  return pair ? pair->comparison.gapRecovered : std::nan("");
}

double objectiveOf(const SweepObjective& objective, const std::vector<ModelSummary>& models) {
  const auto m = std::find_if(models.begin(), models.end(),
                              [&](const ModelSummary& s) { return s.name == objective.model; });
  return m == models.end() ? std::nan("") : objectiveValue(objective, *m);
}

double objectiveSpread(const SweepObjective& objective, const SweepTrial& trial) {
  const ModelSummary* m = trial.model(objective.model);
  if (!m || m->repeats.size() < 2) return std::nan("");
  std::vector<double> values;
  for (const auto& o : m->repeats) values.push_back(objectiveValue(objective, o));
  return spreadOf(values).sd;
}

int bestTrialOf(const SweepState& state) { return bestTrial(state.trials, state.file.sweep.objective); }

std::string trialsCsv(const SweepState& state) {
  // Models in the order they first appear (the baseline trains them all).
  std::vector<std::string> models;
  std::vector<std::string> students;
  for (const auto& t : state.trials)
    for (const auto& m : t.models) {
      if (std::find(models.begin(), models.end(), m.name) == models.end()) models.push_back(m.name);
      if (m.role == ModelRole::Distilled) {
        const std::string student = m.name.substr(0, m.name.size() - 3);
        if (std::find(students.begin(), students.end(), student) == students.end())
          students.push_back(student);
      }
    }
  std::ostringstream out;
  out << "trial,status,baseline";
  for (const auto& p : state.file.sweep.parameters) out << "," << csvField(p.key);
  out << ",objective,objective_sd";
  for (const auto& m : models)
    out << "," << m << "/val_loss," << m << "/val_perplexity," << m << "/bits_per_char," << m << "/agreement";
  for (const auto& s : students) out << "," << s << "-kd/gap_recovered," << s << "-kd/verdict";
  out << ",steps,wall_s,stop_reason,teacher_run,run_dir\n";
  for (const auto& t : state.trials) {
    out << t.id << "," << statusName(t.status) << "," << (t.baseline ? "yes" : "no");
    for (size_t i = 0; i < state.file.sweep.parameters.size(); ++i)
      out << "," << csvField(i < t.values.size() ? t.values[i] : "");
    out << "," << csvNumber(t.objective) << "," << csvNumber(objectiveSpread(state.file.sweep.objective, t));
    for (const auto& name : models) {
      const ModelSummary* m = t.model(name);
      out << "," << (m ? csvNumber(m->valLoss) : "") << "," << (m ? csvNumber(m->valPerplexity) : "") << ","
          << (m ? csvNumber(m->valBitsPerChar) : "") << "," << (m ? csvNumber(m->agreement) : "");
    }
    for (const auto& student : students) {
      const auto twin = trialTwin(state.trials, t, student);
      out << "," << (twin ? csvNumber(twin->comparison.gapRecovered, 4) : "") << ","
          << (twin ? csvField(twinVerdict(*twin)) : "");
    }
    const ModelSummary* objectiveModel = t.model(state.file.sweep.objective.model);
    out << "," << (objectiveModel ? objectiveModel->steps : t.objectiveStep) << ","
        << csvNumber(t.wallSeconds, 4) << "," << csvField(t.stopReason) << ","
        << (t.teacherRun >= 0 ? std::to_string(t.teacherRun) : "") << "," << csvField(t.runDir) << "\n";
  }
  return out.str();
}

SweepResult sweepResultOf(const SweepState& state) {
  SweepResult result;
  result.status = state.status == "completed" ? SweepResult::Status::Completed
                  : state.status == "failed"  ? SweepResult::Status::Failed
                                              : SweepResult::Status::Stopped;
  result.dir = state.dir;
  result.error = state.error;
  result.definition = state.file.sweep;
  result.trials = state.trials;
  result.teacherRuns = state.teacherRuns;
  result.bestTrial = bestTrialOf(state);
  result.wallSeconds = state.wallSeconds;
  return result;
}

void writeSweepRecord(const SweepState& state) {
  Json trials = Json::array();
  for (const auto& t : state.trials) trials.push_back(trialJson(state, t));
  Json teachers = Json::array();
  for (const auto& r : state.teacherRuns)
    teachers.push_back({{"id", r.id},
                        {"key", r.key},
                        {"run_dir", r.runDir},
                        {"checkpoint", r.checkpoint},
                        {"done", r.done},
                        {"trials", r.trials}});
  const int best = bestTrialOf(state);
  Json record = {{"format", kFormat},
                 {"status", state.status},
                 {"error", state.error},
                 {"experiment_file", state.file.path},
                 {"experiment_text", state.file.text},
                 {"source_dir", state.file.sourceDir},
                 {"overrides", state.file.overrides},
                 {"experiment_name", state.file.base.name},
                 {"reuse_teacher", state.reuseTeacher},
                 {"definition", definitionJson(state.file.sweep)},
                 {"best_trial", best >= 0 ? Json(best) : Json()},
                 {"wall_s", state.wallSeconds},
                 {"teacher_runs", teachers},
                 {"trials", trials}};
  writeFileAtomically(state.dir + "/sweep.json", record.dump(2) + "\n");
  writeFileAtomically(state.dir + "/trials.csv", trialsCsv(state));
}

SweepState readSweepRecord(const std::string& dir) {
  const std::string path = dir + "/sweep.json";
  if (!std::filesystem::exists(path)) throw EngineError(dir + " is no sweep folder (no sweep.json)");
  const Json record = Json::parse(readFile(path, "sweep record"), nullptr, false);
  if (record.is_discarded() || !record.is_object() || record.value("format", 0) != kFormat)
    throw EngineError(path + ": not a sweep record this version reads");
  SweepState state;
  state.dir = dir;
  try {
    state.file = parseSweepFile(record.at("experiment_text").get<std::string>(),
                                record.at("source_dir").get<std::string>(),
                                record.at("overrides").get<std::vector<std::string>>(),
                                record.value("experiment_name", "experiment"));
    state.file.path = record.value("experiment_file", "");
    if (!state.file.ok())
      throw EngineError(path + ": its experiment no longer parses: " +
                        state.file.problems.front().toString(state.file.path));
    state.status = record.value("status", "running");
    state.error = record.value("error", "");
    state.wallSeconds = record.value("wall_s", 0.0);
    state.reuseTeacher = record.value("reuse_teacher", true);
    for (const auto& r : record.at("teacher_runs"))
      state.teacherRuns.push_back({r.at("id").get<int>(), r.value("key", ""), r.value("run_dir", ""),
                                   r.value("checkpoint", ""), r.value("done", false), r.value("trials", 0)});
    for (const auto& t : record.at("trials")) state.trials.push_back(trialFrom(state, t));
  } catch (const Json::exception& e) {
    throw EngineError(path + ": " + e.what());
  }
  return state;
}

}  // namespace distill
