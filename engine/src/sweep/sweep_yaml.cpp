// The `sweep:` section of an experiment file → SweepDefinition, every problem with its key, line and
// column. Swept values are checked by applying each to the experiment (the range checks of the
// schema and the cross-field rules) before anything trains.

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <regex>
#include <sstream>

#include "config/experiment_file.h"
#include "distill/config_schema.h"
#include "distill/sweep.h"
#include "sweep/search_space.h"

namespace distill {

namespace {

const std::set<std::string> kSweepKeys = {"parameters", "strategy",       "max_trials", "objective", "seed",
                                          "parallel",   "early_stopping", "baseline",   "repeats"};

class SweepReader {
public:
  explicit SweepReader(SweepFile& file) : m_file(file) {}

  void report(const YAML::Node& node, const std::string& key, const std::string& message) {
    ConfigProblem p{key, 0, 0, message};
    if (node.IsDefined()) {
      p.line = node.Mark().line + 1;
      p.column = node.Mark().column + 1;
    }
    m_file.problems.push_back(p);
  }

  void rejectUnknown(const YAML::Node& map, const std::string& prefix, const std::set<std::string>& known) {
    for (const auto& entry : map) {
      if (known.count(entry.first.Scalar())) continue;
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      report(entry.first, prefix + "." + entry.first.Scalar(), "unknown key (known keys: " + list + ")");
    }
  }

  template <class T>
  bool read(const YAML::Node& map, const std::string& key, const std::string& path, T& out) {
    const YAML::Node node = map[key];
    if (!node.IsDefined()) return false;
    try {
      if (!node.IsScalar()) throw YAML::Exception(node.Mark(), "not a scalar");
      out = node.as<T>();
      return true;
    } catch (const YAML::Exception&) {
      report(node, path, std::is_same_v<T, std::string> ? "expected a word" : "expected a number");
      return false;
    }
  }

  template <class E>
  void readChoice(const YAML::Node& map, const std::string& key, const std::string& path, E& out) {
    std::string name;
    if (!read(map, key, path, name)) return;
    if (auto value = enumFromName<E>(name)) {
      out = *value;
      return;
    }
    std::string list;
    for (const auto& n : enumNames<E>()) list += (list.empty() ? "" : ", ") + n;
    report(map[key], path, "must be one of " + list + " (got '" + name + "')");
  }

  void readSettings(const YAML::Node& sweep) {
    auto& s = m_file.sweep;
    readChoice(sweep, "strategy", "sweep.strategy", s.strategy);
    int seed = 0;
    if (read(sweep, "seed", "sweep.seed", seed)) s.seed = static_cast<uint64_t>(seed);
    if (read(sweep, "max_trials", "sweep.max_trials", s.maxTrials) && s.maxTrials < 1)
      report(sweep["max_trials"], "sweep.max_trials", "must be >= 1");
    if (read(sweep, "parallel", "sweep.parallel", s.parallel) && s.parallel < 1)
      report(sweep["parallel"], "sweep.parallel", "must be >= 1");
    read(sweep, "baseline", "sweep.baseline", s.baseline);
    if (read(sweep, "repeats", "sweep.repeats", s.repeats) && (s.repeats < 1 || s.repeats > 1000))
      report(sweep["repeats"], "sweep.repeats", "must be in [1, 1000]");
    readEarlyStopping(sweep["early_stopping"]);
    readObjective(sweep["objective"]);
  }

  void readEarlyStopping(const YAML::Node& node) {
    auto& s = m_file.sweep;
    if (!node.IsDefined()) return;
    if (node.IsScalar()) {  // early_stopping: median
      readChoice(YAML::Load("{rule: " + node.Scalar() + "}"), "rule", "sweep.early_stopping",
                 s.earlyStopping);
      return;
    }
    if (!node.IsMap())
      return report(node, "sweep.early_stopping",
                    "expected a rule or a mapping (rule, min_trials, grace_evals)");
    rejectUnknown(node, "sweep.early_stopping", {"rule", "min_trials", "grace_evals"});
    readChoice(node, "rule", "sweep.early_stopping.rule", s.earlyStopping);
    if (read(node, "min_trials", "sweep.early_stopping.min_trials", s.minTrials) && s.minTrials < 1)
      report(node["min_trials"], "sweep.early_stopping.min_trials", "must be >= 1");
    if (read(node, "grace_evals", "sweep.early_stopping.grace_evals", s.graceEvals) && s.graceEvals < 0)
      report(node["grace_evals"], "sweep.early_stopping.grace_evals", "must be >= 0");
  }

  void readObjective(const YAML::Node& node) {
    auto& o = m_file.sweep.objective;
    if (!m_file.base.students.empty()) o.model = m_file.base.students.front().name + "-kd";
    if (!node.IsDefined()) return;
    if (!node.IsMap()) return report(node, "sweep.objective", "expected a mapping (model, metric, goal)");
    rejectUnknown(node, "sweep.objective", {"model", "metric", "goal"});
    read(node, "model", "sweep.objective.model", o.model);
    if (read(node, "metric", "sweep.objective.metric", o.metric)) {
      const auto& known = SweepObjective::metrics();
      if (std::find(known.begin(), known.end(), o.metric) == known.end())
        report(node["metric"], "sweep.objective.metric",
               "must be one of val_loss, val_perplexity, bits_per_char, agreement, kl_from_teacher");
      o.minimize = o.metric != "agreement";
    }
    std::string goal;
    if (read(node, "goal", "sweep.objective.goal", goal)) {
      if (goal != "minimize" && goal != "maximize")
        report(node["goal"], "sweep.objective.goal", "must be minimize or maximize (got '" + goal + "')");
      o.minimize = goal == "minimize";
    }
    std::vector<std::string> models;
    for (const auto& t : m_file.base.teacherMembers())
      models.push_back(teacherModelName(t, m_file.base.ensemble()));
    for (const auto& s : m_file.base.students) {
      models.push_back(s.name + "-kd");
      if (s.scratch_twin) models.push_back(s.name + "-scratch");
    }
    if (std::find(models.begin(), models.end(), o.model) == models.end()) {
      std::string list;
      for (const auto& m : models) list += (list.empty() ? "" : ", ") + m;
      report(node["model"], "sweep.objective.model",
             "the experiment trains no model '" + o.model + "' (it trains " + list + ")");
    }
  }

  /// students[1].hidden → students.1.hidden
  static std::string dotted(const std::string& key) {
    static const std::regex index(R"(\[(\d+)\])");
    return std::regex_replace(key, index, ".$1");
  }

  void readParameters(const YAML::Node& params) {
    if (!params.IsDefined() || !params.IsMap() || params.size() == 0)
      return report(params, "sweep.parameters", "expected a mapping of experiment keys to values or ranges");
    for (const auto& entry : params) {
      SweepParameter p;
      p.key = dotted(entry.first.Scalar());
      p.line = entry.first.Mark().line + 1;
      p.column = entry.first.Mark().column + 1;
      const std::string path = "sweep.parameters." + p.key;
      const SchemaKey* schemaKey = findSchemaKey(p.key);
      if (!schemaKey || p.key.rfind("students.N", 0) == 0) {
        report(entry.first, path, "no experiment key '" + p.key + "' (see `distill schema`)");
        continue;
      }
      if (!studentExists(entry.first, path, p.key)) continue;
      if (!readDomain(entry.second, path, *schemaKey, p)) continue;
      m_file.sweep.parameters.push_back(p);
    }
  }

  bool studentExists(const YAML::Node& at, const std::string& path, const std::string& key) {
    static const std::regex student(R"(^students\.(\d+)\.)");
    std::smatch m;
    if (!std::regex_search(key, m, student)) return true;
    const size_t index = std::stoul(m[1]);
    if (index < m_file.base.students.size()) return true;
    report(
        at, path,
        "the experiment has " + std::to_string(m_file.base.students.size()) + " students (indices from 0)");
    return false;
  }

  bool readDomain(const YAML::Node& node, const std::string& path, const SchemaKey& schemaKey,
                  SweepParameter& p) {
    const bool numeric = schemaKey.type == "integer" || schemaKey.type == "number";
    const YAML::Node values = node.IsMap() ? node["values"] : node;
    if (values.IsDefined() && values.IsSequence()) {
      if (node.IsMap()) rejectUnknown(node, path, {"values"});
      if (values.size() == 0) return report(values, path, "needs at least one value"), false;
      bool ok = true;
      for (size_t i = 0; i < values.size(); ++i) {
        if (!values[i].IsScalar()) {
          report(values[i], path, "expected a value");
          ok = false;
          continue;
        }
        p.values.push_back(values[i].Scalar());
        ok = checkValue(values[i], path, p.key, values[i].Scalar()) && ok;
      }
      return ok;
    }
    if (!node.IsMap())
      return report(node, path, "expected a list of values or a range (range, low, high)"), false;
    rejectUnknown(node, path, {"range", "low", "high"});
    if (!node["range"].IsDefined())
      return report(node, path, "needs range: uniform, log_uniform or int (or values: [...])"), false;
    const size_t before = m_file.problems.size();
    readChoice(node, "range", path + ".range", p.kind);
    if (m_file.problems.size() > before) return false;
    if (p.kind == RangeKind::Values) return report(node["range"], path, "give the values as a list"), false;
    if (!numeric)
      return report(node["range"], path,
                    "a range needs a numeric key; " + p.key + " is " + schemaKey.type +
                        " (give a list of values)"),
             false;
    if (schemaKey.type == "integer" && p.kind != RangeKind::Int)
      return report(node["range"], path, p.key + " is an integer: use range: int"), false;
    if (!read(node, "low", path + ".low", p.low) || !read(node, "high", path + ".high", p.high))
      return report(node, path, "a range needs low and high"), false;
    if (!(p.low < p.high)) return report(node["low"], path, "low must be below high"), false;
    if (p.kind == RangeKind::LogUniform && p.low <= 0)
      return report(node["low"], path, "log_uniform needs low > 0"), false;
    if (p.kind == RangeKind::Int && (p.low != std::floor(p.low) || p.high != std::floor(p.high)))
      return report(node["low"], path, "an int range needs whole numbers"), false;
    const bool lowOk = checkValue(node["low"], path, p.key, formatValue(p, p.low));
    return checkValue(node["high"], path, p.key, formatValue(p, p.high)) && lowOk;
  }

  /// Applies `key=value` to the experiment: every problem it causes is reported at the value.
  bool checkValue(const YAML::Node& at, const std::string& path, const std::string& key,
                  const std::string& value) {
    auto overrides = m_file.overrides;
    overrides.push_back(key + "=" + value);
    const auto trial = parseExperiment(m_file.text, m_file.sourceDir, overrides, m_file.base.name);
    for (const auto& problem : trial.problems) {
      std::string message = problem.message;
      const std::string fromSet = " (from --set " + key + ")";
      if (auto cut = message.find(fromSet); cut != std::string::npos) message.erase(cut, fromSet.size());
      report(at, path, (problem.key == key ? "" : problem.key + ": ") + key + " = " + value + ": " + message);
    }
    return trial.ok();
  }

  void readGrid() {
    auto& s = m_file.sweep;
    if (s.strategy != SweepStrategy::Grid) return;
    for (const auto& p : s.parameters)
      if (p.kind == RangeKind::Uniform || p.kind == RangeKind::LogUniform)
        report(YAML::Node(), "sweep.parameters." + p.key,
               "a grid needs lists of values (or int ranges); use strategy random or tpe for a continuous "
               "range");
  }

private:
  SweepFile& m_file;
};

}  // namespace

const std::vector<std::string>& SweepObjective::metrics() {
  static const std::vector<std::string> names = {"val_loss", "val_perplexity", "bits_per_char", "agreement",
                                                 "kl_from_teacher"};
  return names;
}

int SweepDefinition::plannedTrials() const {
  const int grid = strategy == SweepStrategy::Grid ? gridSize(*this) : 0;
  int trials = maxTrials > 0 ? maxTrials : (strategy == SweepStrategy::Grid ? grid : 20);
  if (strategy == SweepStrategy::Grid) trials = std::min(trials, grid);
  return trials + (baseline ? 1 : 0);
}

SweepFile parseSweepFile(const std::string& yamlText, const std::string& sourceDir,
                         const std::vector<std::string>& overrides, const std::string& defaultName) {
  SweepFile file;
  file.text = yamlText;
  file.sourceDir = sourceDir;
  file.overrides = overrides;
  auto base = parseExperiment(yamlText, sourceDir, overrides, defaultName);
  file.base = base.config;
  file.problems = base.problems;
  if (!file.ok()) return file;
  const YAML::Node root = YAML::Load(yamlText);
  const YAML::Node sweep = root.IsMap() ? root["sweep"] : YAML::Node();
  file.hasSweep = sweep.IsDefined() && !sweep.IsNull();
  SweepReader r(file);
  if (!file.hasSweep) {
    r.report(YAML::Node(), "sweep",
             "the experiment has no sweep: section (see experiments/README.md, Sweeps)");
    return file;
  }
  if (!sweep.IsMap()) {
    r.report(sweep, "sweep", "expected a mapping (parameters, strategy, objective, ...)");
    return file;
  }
  r.rejectUnknown(sweep, "sweep", kSweepKeys);
  r.readSettings(sweep);
  r.readParameters(sweep["parameters"]);
  r.readGrid();
  return file;
}

std::string sweepToYaml(const SweepDefinition& s) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "sweep" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "strategy" << YAML::Value << nameOf(s.strategy);
  if (s.maxTrials > 0) out << YAML::Key << "max_trials" << YAML::Value << s.maxTrials;
  out << YAML::Key << "seed" << YAML::Value << s.seed << YAML::Key << "parallel" << YAML::Value << s.parallel;
  out << YAML::Key << "baseline" << YAML::Value << s.baseline;
  if (s.repeats > 0) out << YAML::Key << "repeats" << YAML::Value << s.repeats;
  out << YAML::Key << "objective" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "model"
      << YAML::Value << s.objective.model << YAML::Key << "metric" << YAML::Value << s.objective.metric
      << YAML::Key << "goal" << YAML::Value << (s.objective.minimize ? "minimize" : "maximize")
      << YAML::EndMap;
  out << YAML::Key << "early_stopping" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "rule"
      << YAML::Value << nameOf(s.earlyStopping) << YAML::Key << "min_trials" << YAML::Value << s.minTrials
      << YAML::Key << "grace_evals" << YAML::Value << s.graceEvals << YAML::EndMap;
  out << YAML::Key << "parameters" << YAML::Value << YAML::BeginMap;
  for (const auto& p : s.parameters) {
    out << YAML::Key << p.key << YAML::Value << YAML::Flow;
    if (p.isRange()) {
      out << YAML::BeginMap << YAML::Key << "range" << YAML::Value << nameOf(p.kind) << YAML::Key << "low"
          << YAML::Value << p.low << YAML::Key << "high" << YAML::Value << p.high << YAML::EndMap;
    } else {
      out << YAML::BeginSeq;
      for (const auto& v : p.values) out << v;
      out << YAML::EndSeq;
    }
  }
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string withSweepSection(const std::string& text, const std::string& sourceDir,
                             const SweepDefinition& sweep) {
  const SweepFile current = parseSweepFile(text, sourceDir);
  if (current.hasSweep && current.ok() && sweepToYaml(current.sweep) == sweepToYaml(sweep)) return text;
  // The section: from a line `sweep:` at column 0 to the next line that starts another top-level key.
  std::istringstream in(text);
  std::string before, after, line;
  enum { Before, Inside, After } where = Before;
  static const std::regex header(R"(^sweep:\s*(#.*)?$)");
  while (std::getline(in, line)) {
    if (where == Before && std::regex_match(line, header)) {
      where = Inside;
      continue;
    }
    if (where == Inside && !line.empty() && line[0] != ' ' && line[0] != '#' && line[0] != '\t')
      where = After;
    if (where == Before) before += line + "\n";
    if (where == After) after += line + "\n";
  }
  if (!before.empty() && before.back() != '\n') before += "\n";
  return before + sweepToYaml(sweep) + after;
}

SweepFile loadSweepFile(const std::string& path, const std::vector<std::string>& overrides) {
  const ExperimentFileText text = readExperimentFile(path);
  SweepFile file;
  if (text.problem) {
    file.problems.push_back(*text.problem);
  } else {
    file = parseSweepFile(text.text, text.dir, overrides, text.defaultName);
  }
  file.path = path;
  return file;
}

}  // namespace distill
