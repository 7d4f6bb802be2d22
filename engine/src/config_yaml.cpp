// Experiment YAML → ExperimentConfig, reporting every problem with its key, line and column.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "distill/config.h"
#include "paths.h"
#include "run_names.h"

namespace distill {
namespace {

namespace fs = std::filesystem;

template <class T>
const char* typeName();
template <>
const char* typeName<int>() {
  return "an integer";
}
template <>
const char* typeName<double>() {
  return "a number";
}
template <>
const char* typeName<bool>() {
  return "true or false";
}
template <>
const char* typeName<std::string>() {
  return "a string";
}

/// Walks a YAML tree against the known schema; every deviation becomes a ConfigProblem.
class SchemaReader {
public:
  SchemaReader(std::vector<ConfigProblem>& problems, const std::set<std::string>& overridden)
      : m_problems(problems), m_overridden(overridden) {}

  void report(const YAML::Node& node, const std::string& path, const std::string& message) {
    ConfigProblem problem{path, 0, 0, message};
    if (isOverridden(path)) {
      problem.message += " (from --set " + path + ")";
    } else if (node.IsDefined()) {
      problem.line = node.Mark().line + 1;
      problem.column = node.Mark().column + 1;
    }
    m_problems.push_back(problem);
  }

  /// True when `node` is a map (or absent); otherwise reports it.
  bool isMap(const YAML::Node& node, const std::string& path) {
    if (!node.IsDefined() || node.IsNull() || node.IsMap()) return true;
    report(node, path, "expected a mapping of keys to values");
    return false;
  }

  void rejectUnknownKeys(const YAML::Node& map, const std::string& prefix,
                         const std::set<std::string>& known) {
    if (!map.IsMap()) return;
    for (const auto& entry : map) {
      const auto key = entry.first.Scalar();
      if (known.count(key)) continue;
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      report(entry.first, join(prefix, key), "unknown key (known keys: " + list + ")");
    }
  }

  template <class T>
  void read(const YAML::Node& map, const std::string& key, const std::string& prefix, T& out) {
    if (!map.IsMap()) return;
    readValue(map[key], join(prefix, key), out);
  }

  /// Element `index` of a list.
  template <class T>
  void read(const YAML::Node& list, size_t index, const std::string& prefix, T& out) {
    readValue(list[index], join(prefix, std::to_string(index)), out);
  }

  template <class T>
  void readValue(const YAML::Node& node, const std::string& path, T& out) {
    if (!node.IsDefined()) return;
    if (node.IsNull()) {
      report(node, path, std::string("needs a value: ") + typeName<T>());
      return;
    }
    if (!node.IsScalar()) {
      report(node, path, std::string("expected ") + typeName<T>());
      return;
    }
    try {
      out = node.as<T>();
    } catch (const YAML::Exception&) {
      report(node, path, std::string("expected ") + typeName<T>() + ", got '" + node.Scalar() + "'");
    }
  }

  void readStrings(const YAML::Node& map, const std::string& key, const std::string& prefix,
                   std::vector<std::string>& out) {
    if (!map.IsMap()) return;
    const YAML::Node node = map[key];
    if (!node.IsDefined()) return;
    const std::string path = join(prefix, key);
    if (node.IsScalar()) {  // a single prompt is accepted as a one-element list
      out = {node.Scalar()};
      return;
    }
    if (!node.IsSequence()) {
      report(node, path, "expected a list of strings");
      return;
    }
    out.clear();
    for (size_t i = 0; i < node.size(); ++i) {
      if (!node[i].IsScalar()) {
        report(node[i], path + "." + std::to_string(i), "expected a string");
        continue;
      }
      out.push_back(node[i].Scalar());
    }
  }

  void readInts(const YAML::Node& map, const std::string& key, const std::string& prefix,
                std::vector<int>& out) {
    if (!map.IsMap()) return;
    const YAML::Node node = map[key];
    if (!node.IsDefined() || node.IsNull()) return;
    const std::string path = join(prefix, key);
    if (!node.IsSequence()) {
      report(node, path, "expected a list of integers");
      return;
    }
    out.clear();
    for (size_t i = 0; i < node.size(); ++i) {
      int value = 0;
      read(node, i, path, value);
      out.push_back(value);
    }
  }

  bool isOverridden(const std::string& path) const { return m_overridden.count(path) > 0; }

  static std::string join(const std::string& prefix, const std::string& key) {
    return prefix.empty() ? key : prefix + "." + key;
  }

private:
  std::vector<ConfigProblem>& m_problems;
  const std::set<std::string>& m_overridden;
};

// The keys each section accepts; rejectUnknownKeys and experimentKeyPaths (shell completion)
// both read these.
const std::set<std::string> kSections = {"name",    "data",  "teacher", "students",
                                         "distill", "train", "generate"};
const std::set<std::string> kDataKeys = {"corpus", "tokenizer", "val_fraction", "block_size"};
const std::set<std::string> kModelKeys = {"arch",   "layers",  "heads", "kv_heads",   "embd",
                                          "hidden", "dropout", "bias",  "tie_weights"};
const std::set<std::string> kTeacherOnlyKeys = {"checkpoint", "hf"};
const std::set<std::string> kStudentOnlyKeys = {"name", "distill", "scratch_twin", "init_seed",
                                                "init_from_teacher"};
const std::set<std::string> kDistillKeys = {"loss",
                                            "temperature",
                                            "alpha",
                                            "beta",
                                            "skew",
                                            "temperature_schedule",
                                            "temperature_end",
                                            "alpha_schedule",
                                            "alpha_end",
                                            "cache_top_k",
                                            "cache_path",
                                            "regime",
                                            "prefix_tokens",
                                            "sample_temperature",
                                            "sample_top_k",
                                            "sequence_count",
                                            "sequence_path",
                                            "on_policy_fraction",
                                            "hidden_loss",
                                            "hidden_weight",
                                            "attention_weight",
                                            "layer_map"};
const std::set<std::string> kTrainKeys = {"steps",
                                          "student_steps",
                                          "batch_size",
                                          "lr",
                                          "min_lr",
                                          "warmup_steps",
                                          "weight_decay",
                                          "beta1",
                                          "beta2",
                                          "grad_clip",
                                          "eval_interval",
                                          "eval_batches",
                                          "log_interval",
                                          "checkpoint_interval",
                                          "keep_checkpoints",
                                          "seed",
                                          "threads",
                                          "processes"};
const std::set<std::string> kGenerateKeys = {"prompts", "max_new_tokens", "temperature",
                                             "top_k",   "top_p",          "seed"};

std::set<std::string> unite(std::set<std::string> a, const std::set<std::string>& b) {
  a.insert(b.begin(), b.end());
  return a;
}

void readModel(SchemaReader& r, const YAML::Node& node, const std::string& prefix, ModelSpec& m) {
  r.read(node, "arch", prefix, m.arch);
  r.read(node, "layers", prefix, m.layers);
  r.read(node, "heads", prefix, m.heads);
  r.read(node, "kv_heads", prefix, m.kv_heads);
  r.read(node, "embd", prefix, m.embd);
  r.read(node, "hidden", prefix, m.hidden);
  r.read(node, "dropout", prefix, m.dropout);
  r.read(node, "bias", prefix, m.bias);
  r.read(node, "tie_weights", prefix, m.tie_weights);
}

std::string resolvePath(const std::string& value, const std::string& base) {
  if (value.empty() || fs::path(value).is_absolute()) return value;
  return fs::absolute(fs::path(base) / value).lexically_normal().string();
}

void readDistill(SchemaReader& r, const YAML::Node& node, const std::string& prefix,
                 const std::string& sourceDir, DistillConfig& d) {
  if (!r.isMap(node, prefix)) return;
  r.rejectUnknownKeys(node, prefix, kDistillKeys);
  r.read(node, "loss", prefix, d.loss);
  r.read(node, "temperature", prefix, d.temperature);
  r.read(node, "alpha", prefix, d.alpha);
  r.read(node, "beta", prefix, d.beta);
  r.read(node, "skew", prefix, d.skew);
  r.read(node, "temperature_schedule", prefix, d.temperature_schedule);
  r.read(node, "temperature_end", prefix, d.temperature_end);
  r.read(node, "alpha_schedule", prefix, d.alpha_schedule);
  r.read(node, "alpha_end", prefix, d.alpha_end);
  r.read(node, "cache_top_k", prefix, d.cache_top_k);
  r.read(node, "regime", prefix, d.regime);
  r.read(node, "prefix_tokens", prefix, d.prefix_tokens);
  r.read(node, "sample_temperature", prefix, d.sample_temperature);
  r.read(node, "sample_top_k", prefix, d.sample_top_k);
  r.read(node, "sequence_count", prefix, d.sequence_count);
  r.read(node, "on_policy_fraction", prefix, d.on_policy_fraction);
  r.read(node, "hidden_loss", prefix, d.hidden_loss);
  r.read(node, "hidden_weight", prefix, d.hidden_weight);
  r.read(node, "attention_weight", prefix, d.attention_weight);
  r.readInts(node, "layer_map", prefix, d.layer_map);
  for (const auto& [key, field] :
       {std::make_pair("cache_path", &d.cache_path), std::make_pair("sequence_path", &d.sequence_path)}) {
    std::string path;
    r.read(node, key, prefix, path);
    if (!path.empty()) *field = resolvePath(path, r.isOverridden(prefix + "." + key) ? "." : sourceDir);
  }
}

/// Applies "a.b.0.c=value" to the tree. Returns an error message, or "" on success.
std::string applyOverride(YAML::Node root, const std::string& assignment, std::string& pathOut) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) return "expected key.path=value, got '" + assignment + "'";
  pathOut = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(text);
    if (text.empty()) value = YAML::Node(std::string());
  } catch (const YAML::Exception&) {
    value = YAML::Node(text);  // not valid YAML on its own: take it as a plain string
  }
  std::vector<std::string> parts;
  std::stringstream ss(pathOut);
  for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);

  YAML::Node node = root;
  for (size_t i = 0; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    if (node.IsSequence()) {
      size_t index = 0;
      try {
        index = std::stoul(parts[i]);
      } catch (const std::exception&) {
        return "'" + parts[i] + "' is not a list index";
      }
      if (index > node.size()) return "index " + parts[i] + " is past the end of the list";
      if (index == node.size()) node.push_back(YAML::Node(YAML::NodeType::Map));
      if (last) {
        node[index] = value;
      } else {
        YAML::Node child = node[index];
        node.reset(child);
      }
    } else {
      if (node.IsDefined() && !node.IsNull() && !node.IsMap())
        return "'" + parts[i] + "' is inside a value that is not a mapping";
      if (last) {
        node[parts[i]] = value;
      } else {
        if (!node[parts[i]].IsDefined()) node[parts[i]] = YAML::Node(YAML::NodeType::Map);
        YAML::Node child = node[parts[i]];
        node.reset(child);
      }
    }
  }
  return "";
}

}  // namespace

ConfigLoadResult parseExperiment(const std::string& yamlText, const std::string& sourceDir,
                                 const std::vector<std::string>& overrides, const std::string& defaultName) {
  ConfigLoadResult result;
  auto& problems = result.problems;
  auto& c = result.config;
  c.name = defaultName;

  YAML::Node root;
  try {
    root = YAML::Load(yamlText);
  } catch (const YAML::ParserException& e) {
    problems.push_back({"(syntax)", e.mark.line + 1, e.mark.column + 1, e.msg});
    return result;
  }
  if (root.IsNull() || !root.IsDefined()) root = YAML::Node(YAML::NodeType::Map);
  std::set<std::string> overridden;
  if (root.IsMap()) {
    for (const auto& assignment : overrides) {
      std::string path;
      const auto error = applyOverride(root, assignment, path);
      if (!error.empty()) {
        problems.push_back({path.empty() ? assignment : path, 0, 0, "--set: " + error});
      } else {
        overridden.insert(path);
      }
    }
  }

  SchemaReader r(problems, overridden);
  if (!root.IsMap()) {
    r.report(root, "(document)", "an experiment file must be a mapping of sections");
    return result;
  }
  r.rejectUnknownKeys(root, "", kSections);
  r.read(root, "name", "", c.name);

  const YAML::Node data = root["data"];
  if (r.isMap(data, "data")) {
    r.rejectUnknownKeys(data, "data", kDataKeys);
    r.read(data, "corpus", "data", c.data.corpus);
    r.read(data, "tokenizer", "data", c.data.tokenizer);
    r.read(data, "val_fraction", "data", c.data.val_fraction);
    r.read(data, "block_size", "data", c.data.block_size);
  }
  if (c.data.tokenizer != "char" && c.data.tokenizer != "teacher")
    c.data.tokenizer = resolvePath(c.data.tokenizer, r.isOverridden("data.tokenizer") ? "." : sourceDir);
  c.data.corpus = c.data.corpus.empty()
                      ? bundledCorpusPath()
                      : resolvePath(c.data.corpus, r.isOverridden("data.corpus") ? "." : sourceDir);

  const YAML::Node teacher = root["teacher"];
  if (r.isMap(teacher, "teacher")) {
    r.rejectUnknownKeys(teacher, "teacher", unite(kModelKeys, kTeacherOnlyKeys));
    readModel(r, teacher, "teacher", c.teacher.model);
    r.read(teacher, "checkpoint", "teacher", c.teacher.checkpoint);
    c.teacher.checkpoint =
        resolvePath(c.teacher.checkpoint, r.isOverridden("teacher.checkpoint") ? "." : sourceDir);
    r.read(teacher, "hf", "teacher", c.teacher.hf);
    c.teacher.hf = resolvePath(c.teacher.hf, r.isOverridden("teacher.hf") ? "." : sourceDir);
  }

  readDistill(r, root["distill"], "distill", sourceDir, c.distill);

  const YAML::Node students = root["students"];
  if (students.IsDefined() && !students.IsNull()) {
    if (!students.IsSequence()) {
      r.report(students, "students", "expected a list of students");
    } else {
      for (size_t i = 0; i < students.size(); ++i) {
        const std::string prefix = "students." + std::to_string(i);
        StudentConfig s;
        s.name = "student" + std::to_string(i);
        const YAML::Node node = students[i];
        if (!node.IsMap()) {
          r.report(node, prefix, "expected a mapping (name, arch, sizes)");
          continue;
        }
        r.rejectUnknownKeys(node, prefix, unite(kModelKeys, kStudentOnlyKeys));
        r.read(node, "name", prefix, s.name);
        readModel(r, node, prefix, s.model);
        r.read(node, "scratch_twin", prefix, s.scratch_twin);
        r.read(node, "init_seed", prefix, s.init_seed);
        r.read(node, "init_from_teacher", prefix, s.init_from_teacher);
        if (node["distill"].IsDefined()) {
          // The student's own distillation settings: the global section with these keys on top.
          DistillConfig own = c.distill;
          readDistill(r, node["distill"], prefix + ".distill", sourceDir, own);
          s.distill = own;
        }
        c.students.push_back(s);
      }
    }
  }

  const YAML::Node train = root["train"];
  if (r.isMap(train, "train")) {
    auto& t = c.train;
    r.rejectUnknownKeys(train, "train", kTrainKeys);
    r.read(train, "steps", "train", t.steps);
    r.read(train, "student_steps", "train", t.student_steps);
    r.read(train, "batch_size", "train", t.batch_size);
    r.read(train, "lr", "train", t.lr);
    r.read(train, "min_lr", "train", t.min_lr);
    r.read(train, "warmup_steps", "train", t.warmup_steps);
    r.read(train, "weight_decay", "train", t.weight_decay);
    r.read(train, "beta1", "train", t.beta1);
    r.read(train, "beta2", "train", t.beta2);
    r.read(train, "grad_clip", "train", t.grad_clip);
    r.read(train, "eval_interval", "train", t.eval_interval);
    r.read(train, "eval_batches", "train", t.eval_batches);
    r.read(train, "log_interval", "train", t.log_interval);
    r.read(train, "checkpoint_interval", "train", t.checkpoint_interval);
    r.read(train, "keep_checkpoints", "train", t.keep_checkpoints);
    r.read(train, "seed", "train", t.seed);
    r.read(train, "threads", "train", t.threads);
    r.read(train, "processes", "train", t.processes);
  }

  const YAML::Node gen = root["generate"];
  if (r.isMap(gen, "generate")) {
    auto& g = c.generate;
    r.rejectUnknownKeys(gen, "generate", kGenerateKeys);
    r.readStrings(gen, "prompts", "generate", g.prompts);
    r.read(gen, "max_new_tokens", "generate", g.max_new_tokens);
    r.read(gen, "temperature", "generate", g.temperature);
    r.read(gen, "top_k", "generate", g.top_k);
    r.read(gen, "top_p", "generate", g.top_p);
    r.read(gen, "seed", "generate", g.seed);
  }

  if (!problems.empty()) return result;
  // Range and cross-field checks: point them at the key's node when the file has one.
  for (auto problem : validateExperiment(c)) {
    YAML::Node node = root;
    std::stringstream ss(problem.key);
    bool found = true;
    for (std::string part; std::getline(ss, part, '.');) {
      if (node.IsSequence()) {
        const size_t index = std::stoul(part);
        if (index >= node.size()) {
          found = false;
          break;
        }
        YAML::Node child = node[index];
        node.reset(child);
      } else if (node.IsMap() && node[part].IsDefined()) {
        YAML::Node child = node[part];
        node.reset(child);
      } else {
        found = false;
        break;
      }
    }
    r.report(found ? node : YAML::Node(), problem.key, problem.message);
  }
  return result;
}

ConfigLoadResult loadExperimentFile(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigLoadResult result;
    result.problems.push_back({"(file)", 0, 0,
                               "cannot open experiment file: " +
                                   std::string(fs::exists(path) ? "permission denied" : "no such file")});
    return result;
  }
  // An experiment is a few KiB: anything past 1 MiB is not one (and is never parsed).
  constexpr std::streamoff kMaxExperimentBytes = 1 << 20;
  std::error_code ec;
  if (fs::is_regular_file(path, ec) &&
      static_cast<std::streamoff>(fs::file_size(path, ec)) > kMaxExperimentBytes) {
    ConfigLoadResult result;
    result.problems.push_back({"(file)", 0, 0, "larger than 1 MiB: not an experiment file"});
    return result;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const auto dir = fs::absolute(fs::path(path)).parent_path().string();
  // A file without `name` is named after itself; characters a run folder's name may not hold become '_'.
  std::string stem = fs::path(path).stem().string();
  for (char& c : stem)
    if (!isNameCharacter(c)) c = '_';
  if (stem.empty() || stem.front() == '.') stem = "experiment" + stem;
  return parseExperiment(buffer.str(), dir, overrides, stem.substr(0, 100));
}

std::vector<std::string> experimentKeyPaths() {
  std::vector<std::string> keys = {"name"};
  auto section = [&](const std::string& prefix, const std::set<std::string>& names) {
    for (const auto& n : names) keys.push_back(prefix + "." + n);
  };
  section("data", kDataKeys);
  section("teacher", unite(kModelKeys, kTeacherOnlyKeys));
  keys.push_back("students");
  section("students.0", unite(kModelKeys, kStudentOnlyKeys));
  section("students.0.distill", kDistillKeys);
  section("distill", kDistillKeys);
  section("train", kTrainKeys);
  section("generate", kGenerateKeys);
  keys.erase(std::remove(keys.begin(), keys.end(), "students.0.distill"), keys.end());
  return keys;
}

}  // namespace distill
