#pragma once

// The phases of a run and the roles of its models, as enumerations with one name table each: the
// names are what the run folder (state.json, summary.json), the CLI and the GUI show.

#include <optional>
#include <string>

namespace distill {

enum class RunPhase {
  Teacher,           ///< training (or loading) the teacher
  CachingTeacher,    ///< writing the teacher's top-k logits for every student step
  TeacherSequences,  ///< the teacher generating the sequence-level training set
  Students,          ///< distilled students and their scratch twins, in lockstep
  Finishing,         ///< final checkpoints, summary and speed measurements
};

/// "teacher", "caching teacher", "teacher writing sequences", "students", "finishing".
const char* phaseName(RunPhase phase);
std::optional<RunPhase> parseRunPhase(const std::string& name);

enum class ModelRole {
  Teacher,
  Distilled,  ///< <student>-kd
  Scratch,    ///< <student>-scratch: the same model without the teacher
};

/// "teacher", "distilled", "scratch".
const char* roleName(ModelRole role);
std::optional<ModelRole> parseModelRole(const std::string& name);

}  // namespace distill
