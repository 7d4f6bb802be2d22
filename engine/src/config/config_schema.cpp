// The public description of the schema (distill/config_schema.h), built from the typed tables.

#include "distill/config_schema.h"

#include <cmath>
#include <regex>
#include <sstream>

#include "config/schema_fields.h"

namespace distill {

namespace {

std::string text(int v) { return std::to_string(v); }
std::string text(bool v) { return v ? "true" : "false"; }
std::string text(const std::string& v) { return v; }
std::string text(double v) {
  std::ostringstream out;
  out << v;
  std::string s = out.str();
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}
std::string text(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
  return "[" + s + "]";
}
std::string text(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) {
    std::string escaped;
    for (char c : x) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
    s += (s.empty() ? "\"" : ", \"") + escaped + "\"";
  }
  return "[" + s + "]";
}

template <class E, std::enable_if_t<std::is_enum_v<E>, int> = 0>
std::string text(E v) {
  return nameOf(v);
}

template <class T>
const char* typeName(const T&, bool) {
  static_assert(std::is_enum_v<T>, "a member type without a schema type name");
  return "choice";
}
template <>
const char* typeName(const int&, bool) {
  return "integer";
}
template <>
const char* typeName(const double&, bool) {
  return "number";
}
template <>
const char* typeName(const bool&, bool) {
  return "true/false";
}
template <>
const char* typeName(const std::string&, bool path) {
  return path ? "path" : "string";
}
template <>
const char* typeName(const std::vector<int>&, bool) {
  return "list of integers";
}
template <>
const char* typeName(const std::vector<std::string>&, bool) {
  return "list of strings";
}

template <class S>
void describe(std::vector<SchemaKey>& out, const std::string& prefix,
              const std::vector<schema::Field<S>>& fields, const S& defaults) {
  for (const auto& f : fields) {
    SchemaKey key;
    key.path = prefix.empty() ? f.key : prefix + "." + f.key;
    key.doc = f.doc;
    key.min = f.min;
    key.max = f.max;
    key.minOpen = f.minOpen;
    key.maxOpen = f.maxOpen;
    key.live = f.live;
    std::visit(
        [&](auto member) {
          using T = std::decay_t<decltype(defaults.*member)>;
          key.type = typeName(defaults.*member, f.path);
          key.defaultValue = text(defaults.*member);
          if constexpr (std::is_enum_v<T>) key.choices = enumNames<T>();
        },
        f.member);
    out.push_back(key);
  }
}

std::vector<SchemaKey> buildSchema() {
  using namespace schema;
  std::vector<SchemaKey> keys;
  const ExperimentConfig defaults;
  const StudentConfig student;
  describe(keys, "", topFields(), defaults);
  describe(keys, "data", dataFields(), defaults.data);
  describe(keys, "teacher", modelFields(), defaults.teacher.model);
  describe(keys, "teacher", teacherFields(), defaults.teacher);
  describe(keys, "teachers.N", teacherMemberFields(), defaults.teacher);
  describe(keys, "teachers.N", modelFields(), defaults.teacher.model);
  describe(keys, "teachers.N", teacherFields(), defaults.teacher);
  describe(keys, "students.N", studentFields(), student);
  describe(keys, "students.N", modelFields(), student.model);
  describe(keys, "distill", distillFields(), defaults.distill);
  describe(keys, "train", trainFields(), defaults.train);
  describe(keys, "generate", generateFields(), defaults.generate);
  return keys;
}

}  // namespace

std::string SchemaKey::allowed() const {
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  if (!list.empty()) return list;
  return schema::boundsText(min, max, minOpen, maxOpen);
}

const std::vector<SchemaKey>& experimentSchema() {
  static const std::vector<SchemaKey> keys = buildSchema();
  return keys;
}

const SchemaKey* findSchemaKey(const std::string& path) {
  static const std::regex studentIndex(R"(^students\.\d+\.)");
  static const std::regex teacherIndex(R"(^teachers\.\d+\.)");
  const std::string general =
      std::regex_replace(std::regex_replace(path, studentIndex, "students.N."), teacherIndex, "teachers.N.");
  // A student's own distill section has the global section's keys.
  std::string lookup = general;
  if (lookup.rfind("students.N.distill.", 0) == 0) lookup = lookup.substr(std::string("students.N.").size());
  for (const auto& key : experimentSchema())
    if (key.path == lookup) return &key;
  return nullptr;
}

std::string schemaMarkdownTable() {
  std::ostringstream out;
  out << "| key | type | default | allowed | meaning |\n| --- | --- | --- | --- | --- |\n";
  std::string section;
  for (const auto& key : experimentSchema()) {
    const auto dot = key.path.find('.');
    const std::string here = dot == std::string::npos ? "" : key.path.substr(0, dot);
    if (here != section) {
      section = here;
      out << "| **" << section << "** | | | | |\n";
    }
    const std::string allowed = key.allowed();
    out << "| `" << key.path << "` | " << key.type << " | "
        << (key.defaultValue.empty() ? "empty" : "`" + key.defaultValue + "`") << " | "
        << (allowed.empty() ? "" : allowed) << " | " << key.doc << (key.live ? " (live)" : "") << " |\n";
  }
  return out.str();
}

}  // namespace distill
