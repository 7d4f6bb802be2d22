#include "distill/run_phase.h"

#include <utility>

namespace distill {

namespace {

template <class Enum, size_t N>
std::optional<Enum> lookUp(const std::pair<Enum, const char*> (&table)[N], const std::string& name) {
  for (const auto& [value, text] : table)
    if (name == text) return value;
  return std::nullopt;
}

template <class Enum, size_t N>
const char* nameIn(const std::pair<Enum, const char*> (&table)[N], Enum value) {
  for (const auto& [v, text] : table)
    if (v == value) return text;
  return "?";
}

constexpr std::pair<RunPhase, const char*> kPhaseNames[] = {
    {RunPhase::Teacher, "teacher"},
    {RunPhase::CachingTeacher, "caching teacher"},
    {RunPhase::TeacherSequences, "teacher writing sequences"},
    {RunPhase::Students, "students"},
    {RunPhase::Finishing, "finishing"},
};

constexpr std::pair<ModelRole, const char*> kRoleNames[] = {
    {ModelRole::Teacher, "teacher"},
    {ModelRole::Distilled, "distilled"},
    {ModelRole::Scratch, "scratch"},
};

}  // namespace

const char* phaseName(RunPhase phase) { return nameIn(kPhaseNames, phase); }
std::optional<RunPhase> parseRunPhase(const std::string& name) { return lookUp(kPhaseNames, name); }
const char* roleName(ModelRole role) { return nameIn(kRoleNames, role); }
std::optional<ModelRole> parseModelRole(const std::string& name) { return lookUp(kRoleNames, name); }

}  // namespace distill
