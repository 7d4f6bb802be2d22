#include "distill/run_phase.h"

#include "util/name_table.h"

namespace distill {

namespace {

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
std::optional<RunPhase> parseRunPhase(const std::string& name) { return valueIn(kPhaseNames, name); }
const char* roleName(ModelRole role) { return nameIn(kRoleNames, role); }
std::optional<ModelRole> parseModelRole(const std::string& name) { return valueIn(kRoleNames, name); }

}  // namespace distill
