// Experiment YAML → ExperimentConfig, reporting every problem with its key, line and column.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/experiment_file.h"
#include "config/run_names.h"
#include "config/schema_fields.h"
#include "distill/config.h"
#include "util/paths.h"

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

std::string resolvePath(const std::string& value, const std::string& base) {
  if (value.empty() || fs::path(value).is_absolute()) return value;
  return fs::absolute(fs::path(base) / value).lexically_normal().string();
}

/// Reads one key of a section into its member, as the schema declares it.
template <class S, class T>
void readField(SchemaReader& r, const YAML::Node& node, const std::string& prefix,
               const std::string& sourceDir, const schema::Field<S>& f, T& value) {
  if constexpr (std::is_enum_v<T>) {
    // A choice: its name, checked against the enumeration's name table where the file says it.
    if (!node.IsMap() || !node[f.key].IsDefined()) return;
    std::string name;
    r.read(node, f.key, prefix, name);
    if (auto parsed = enumFromName<T>(name)) {
      value = *parsed;
    } else if (node[f.key].IsScalar()) {
      std::string list;
      for (const auto& n : enumNames<T>()) list += (list.empty() ? "" : ", ") + n;
      r.report(node[f.key], SchemaReader::join(prefix, f.key),
               "must be one of " + list + " (got '" + name + "')");
    }
  } else if constexpr (std::is_same_v<T, std::vector<int>>) {
    r.readInts(node, f.key, prefix, value);
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    r.readStrings(node, f.key, prefix, value);
  } else {
    r.read(node, f.key, prefix, value);
    if constexpr (std::is_same_v<T, std::string>) {
      // A path from --set is relative to the working folder; one from the file to the file's folder.
      if (f.path && !value.empty())
        value = resolvePath(value, r.isOverridden(SchemaReader::join(prefix, f.key)) ? "." : sourceDir);
    }
  }
}

template <class S>
void readFields(SchemaReader& r, const YAML::Node& node, const std::string& prefix,
                const std::string& sourceDir, const std::vector<schema::Field<S>>& fields, S& object) {
  for (const auto& f : fields)
    std::visit([&](auto member) { readField(r, node, prefix, sourceDir, f, object.*member); }, f.member);
}

/// The keys each section accepts (rejectUnknownKeys and experimentKeyPaths read these).
std::set<std::string> keySet(std::initializer_list<std::vector<std::string>> lists) {
  std::set<std::string> keys;
  for (const auto& list : lists) keys.insert(list.begin(), list.end());
  return keys;
}
/// `sweep` belongs to the sweep reader (sweep/sweep_yaml.cpp): a run of the file runs the
/// experiment as written.
const std::set<std::string> kSections = {"name",    "data",  "teacher",  "teachers", "students",
                                         "distill", "train", "generate", "sweep"};
/// The keys a section accepts, computed once per table (parsing is on the fuzzers' hot path).
template <class S>
const std::set<std::string>& keysOfTable(const std::vector<schema::Field<S>>& fields) {
  static const std::set<std::string> keys = keySet({schema::keysOf(fields)});
  return keys;
}
const std::set<std::string>& teacherKeys() {
  static const auto keys =
      keySet({schema::keysOf(schema::modelFields()), schema::keysOf(schema::teacherFields())});
  return keys;
}
const std::set<std::string>& teacherMemberKeys() {
  static const auto keys =
      keySet({schema::keysOf(schema::modelFields()), schema::keysOf(schema::teacherFields()),
              schema::keysOf(schema::teacherMemberFields())});
  return keys;
}
const std::set<std::string>& studentKeys() {
  static const auto keys = [] {
    auto all = keySet({schema::keysOf(schema::modelFields()), schema::keysOf(schema::studentFields())});
    all.insert("distill");
    return all;
  }();
  return keys;
}

void readDistill(SchemaReader& r, const YAML::Node& node, const std::string& prefix,
                 const std::string& sourceDir, DistillConfig& d) {
  if (!r.isMap(node, prefix)) return;
  r.rejectUnknownKeys(node, prefix, keysOfTable(schema::distillFields()));
  readFields(r, node, prefix, sourceDir, schema::distillFields(), d);
}

/// A plain section (data, train, generate): a mapping of its table's keys.
template <class S>
void readSection(SchemaReader& r, YAML::Node root, const char* name, const std::string& sourceDir,
                 const std::vector<schema::Field<S>>& fields, S& object) {
  const YAML::Node node = root[name];
  if (!r.isMap(node, name)) return;
  r.rejectUnknownKeys(node, name, keysOfTable(fields));
  readFields(r, node, name, sourceDir, fields, object);
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

/// `teachers:` — an ensemble; the first member also becomes `c.teacher` (the tokenizer, the
/// shape checks and everything else that asks for "the" teacher read it).
void readTeachers(SchemaReader& r, const YAML::Node& teachers, const std::string& sourceDir,
                  ExperimentConfig& c) {
  if (!teachers.IsDefined() || teachers.IsNull()) return;
  if (!teachers.IsSequence() || teachers.size() == 0) {
    r.report(teachers, "teachers", "expected a list of teachers (each like a `teacher:` section)");
    return;
  }
  for (size_t i = 0; i < teachers.size(); ++i) {
    const std::string prefix = "teachers." + std::to_string(i);
    TeacherConfig t;
    t.name = std::to_string(i + 1);
    const YAML::Node node = teachers[i];
    if (!node.IsMap()) {
      r.report(node, prefix, "expected a mapping (name, weight, arch and sizes, or checkpoint / hf)");
      continue;
    }
    r.rejectUnknownKeys(node, prefix, teacherMemberKeys());
    readFields(r, node, prefix, sourceDir, schema::teacherMemberFields(), t);
    readFields(r, node, prefix, sourceDir, schema::modelFields(), t.model);
    readFields(r, node, prefix, sourceDir, schema::teacherFields(), t);
    c.teachers.push_back(t);
  }
  if (!c.teachers.empty()) c.teacher = c.teachers.front();
}

void readStudents(SchemaReader& r, const YAML::Node& students, const std::string& sourceDir,
                  ExperimentConfig& c) {
  if (!students.IsDefined() || students.IsNull()) return;
  if (!students.IsSequence()) {
    r.report(students, "students", "expected a list of students");
    return;
  }
  for (size_t i = 0; i < students.size(); ++i) {
    const std::string prefix = "students." + std::to_string(i);
    StudentConfig s;
    s.name = "student" + std::to_string(i);
    const YAML::Node node = students[i];
    if (!node.IsMap()) {
      r.report(node, prefix, "expected a mapping (name, arch, sizes)");
      continue;
    }
    r.rejectUnknownKeys(node, prefix, studentKeys());
    readFields(r, node, prefix, sourceDir, schema::studentFields(), s);
    if (s.tokenizer != "char" && s.tokenizer != "teacher")  // a path: against the file, as data.tokenizer
      s.tokenizer = resolvePath(s.tokenizer, r.isOverridden(prefix + ".tokenizer") ? "." : sourceDir);
    readFields(r, node, prefix, sourceDir, schema::modelFields(), s.model);
    if (node["distill"].IsDefined()) {
      // The student's own distillation settings: the global section with these keys on top.
      DistillConfig own = c.distill;
      readDistill(r, node["distill"], prefix + ".distill", sourceDir, own);
      s.distill = own;
    }
    c.students.push_back(s);
  }
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
  readFields(r, root, "", sourceDir, schema::topFields(), c);
  readSection(r, root, "data", sourceDir, schema::dataFields(), c.data);
  // `char` and `teacher` name tokenizers; anything else is a path. Empty corpus: the bundled one.
  if (c.data.tokenizer != "char" && c.data.tokenizer != "teacher")
    c.data.tokenizer = resolvePath(c.data.tokenizer, r.isOverridden("data.tokenizer") ? "." : sourceDir);
  if (c.data.corpus.empty()) c.data.corpus = bundledCorpusPath();

  const YAML::Node teacher = root["teacher"];
  if (r.isMap(teacher, "teacher")) {
    r.rejectUnknownKeys(teacher, "teacher", teacherKeys());
    readFields(r, teacher, "teacher", sourceDir, schema::modelFields(), c.teacher.model);
    readFields(r, teacher, "teacher", sourceDir, schema::teacherFields(), c.teacher);
  }
  if (teacher.IsDefined() && root["teachers"].IsDefined())
    r.report(root["teachers"], "teachers",
             "set either `teacher` (one) or `teachers` (an ensemble), not both");
  readTeachers(r, root["teachers"], sourceDir, c);

  readDistill(r, root["distill"], "distill", sourceDir, c.distill);
  readStudents(r, root["students"], sourceDir, c);
  readSection(r, root, "train", sourceDir, schema::trainFields(), c.train);
  readSection(r, root, "generate", sourceDir, schema::generateFields(), c.generate);

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
  const ExperimentFileText file = readExperimentFile(path);
  if (file.problem) {
    ConfigLoadResult result;
    result.problems.push_back(*file.problem);
    return result;
  }
  return parseExperiment(file.text, file.dir, overrides, file.defaultName);
}

std::vector<std::string> experimentKeyPaths() {
  std::vector<std::string> keys = {"name"};
  auto section = [&](const std::string& prefix, const std::set<std::string>& names) {
    for (const auto& n : names) keys.push_back(prefix + "." + n);
  };
  const auto distillKeys = keySet({schema::keysOf(schema::distillFields())});
  section("data", keySet({schema::keysOf(schema::dataFields())}));
  section("teacher", teacherKeys());
  keys.push_back("teachers");
  section("teachers.0", teacherMemberKeys());
  keys.push_back("students");
  section("students.0", studentKeys());
  section("students.0.distill", distillKeys);
  section("distill", distillKeys);
  section("train", keySet({schema::keysOf(schema::trainFields())}));
  section("generate", keySet({schema::keysOf(schema::generateFields())}));
  keys.erase(std::remove(keys.begin(), keys.end(), "students.0.distill"), keys.end());
  return keys;
}

}  // namespace distill
