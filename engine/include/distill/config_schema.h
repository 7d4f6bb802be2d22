#pragma once

// The experiment schema as data: every key with its type, default, allowed values and one-line
// doc. One table in the engine (config/schema_fields.cpp) declares each key once; from it come
// the YAML reader, the resolved config.yaml, range checks, shell completion, the form's ranges and
// tooltips, and the key table in experiments/README.md (`distill schema --markdown`).

#include <optional>
#include <string>
#include <vector>

namespace distill {

struct SchemaKey {
  std::string path;  ///< "train.lr"; a student's keys as "students.N.embd", "students.N.distill.alpha"
  std::string type;  ///< integer, number, true/false, string, path, choice, list of integers, list of strings
  std::string defaultValue;        ///< as the resolved config.yaml writes it ("" for an empty string)
  std::string doc;                 ///< one line
  std::optional<double> min, max;  ///< numeric bounds
  bool minOpen = false, maxOpen = false;
  std::vector<std::string> choices;  ///< for choice keys
  bool live = false;                 ///< the GUI can change it while a run goes

  /// "[0, 1]", "(0, 10)", ">= 1", "kl | reverse_kl | …", or "".
  std::string allowed() const;
};

/// Every key, grouped by section in the order of the README.
const std::vector<SchemaKey>& experimentSchema();

/// The key at `path`; a student index matches N ("students.3.embd" finds "students.N.embd").
/// Null when there is no such key.
const SchemaKey* findSchemaKey(const std::string& path);

/// The key table of experiments/README.md (Markdown), generated from the schema.
std::string schemaMarkdownTable();

}  // namespace distill
