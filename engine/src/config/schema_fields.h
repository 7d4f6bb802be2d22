#pragma once

// The experiment schema, typed: for every section a table of its keys bound to the struct members
// they fill (config.h declares the members and their defaults). The YAML reader, the resolved
// config.yaml, range checks and the public description (distill/config_schema.h) all walk these
// tables, so a new key is one row here plus its member and its use.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "distill/config.h"

namespace distill::schema {

template <class S>
using Member = std::variant<int S::*, double S::*, bool S::*, std::string S::*, std::vector<int> S::*,
                            std::vector<std::string> S::*, Arch S::*, Activation S::*, DistillLoss S::*,
                            Schedule S::*, Regime S::*, Ensemble S::*, HiddenLoss S::*, ValSplit S::*,
                            Precision S::*, DataFormat S::*, BadRecords S::*>;

template <class S>
struct Field {
  const char* key;
  Member<S> member;
  const char* doc;
  std::optional<double> min, max;
  bool minOpen = false, maxOpen = false;
  const char* note = nullptr;  ///< what a special value means, appended to range messages ("0: off")
  bool path = false;           ///< a file or folder, resolved against the experiment file's folder
  /// Whether the key applies to this object (heads to transformers): config.yaml writes only keys
  /// that apply, and range checks skip the others. Null: always.
  bool (*applies)(const S&) = nullptr;
  bool onlyWhenSet = false;  ///< config.yaml writes it only when it differs from the default
  bool live = false;         ///< the GUI can change it while a run goes

  Field(const char* k, Member<S> m, const char* d) : key(k), member(m), doc(d) {}
  Field& atLeast(double v) { return min = v, minOpen = false, *this; }
  Field& above(double v) { return min = v, minOpen = true, *this; }
  Field& atMost(double v) { return max = v, maxOpen = false, *this; }
  Field& below(double v) { return max = v, maxOpen = true, *this; }
  Field& in(double lo, double hi) { return atLeast(lo).atMost(hi); }
  Field& meaning(const char* text) { return note = text, *this; }
  Field& isPath() { return path = true, *this; }
  Field& when(bool (*predicate)(const S&)) { return applies = predicate, *this; }
  Field& optional() { return onlyWhenSet = true, *this; }
  Field& changesLive() { return live = true, *this; }
};

const std::vector<Field<ExperimentConfig>>& topFields();  ///< name
const std::vector<Field<DataConfig>>& dataFields();
const std::vector<Field<ModelSpec>>& modelFields();        ///< the teacher's and every student's shape
const std::vector<Field<TeacherConfig>>& teacherFields();  ///< the teacher's own keys (checkpoint, hf)
/// A member of `teachers:` also has these (name, weight).
const std::vector<Field<TeacherConfig>>& teacherMemberFields();
const std::vector<Field<StudentConfig>>& studentFields();  ///< a student's own keys (name, ...)
const std::vector<Field<DistillConfig>>& distillFields();
const std::vector<Field<TrainConfig>>& trainFields();
const std::vector<Field<GenerateConfig>>& generateFields();

/// The keys of `fields`.
template <class S>
std::vector<std::string> keysOf(const std::vector<Field<S>>& fields) {
  std::vector<std::string> keys;
  for (const auto& f : fields) keys.push_back(f.key);
  return keys;
}

/// "[0, 1]", "(0, 10)", ">= 1", "< 1"; "" without bounds. Range problems say "must be in [0, 1]" or
/// "must be >= 1"; the schema's description lists the same text as the allowed values.
std::string boundsText(const std::optional<double>& min, const std::optional<double>& max, bool minOpen,
                       bool maxOpen);

/// Range problems of the fields that apply to `object`, keyed "<prefix>.<key>".
template <class S>
void checkFields(const std::vector<Field<S>>& fields, const S& object, const std::string& prefix,
                 std::vector<ConfigProblem>& problems);

}  // namespace distill::schema
