#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace distill {

/// The most a resumable checkpoint's state.json may hold; anything larger is damage, not a run.
constexpr size_t kMaxResumeStateBytes = 4 << 20;

/// Parses state.json text within bounds (size, nesting depth) and checks every field a resume
/// reads — its type, and that numbers and strings lie in what a real run can write — before any
/// of it is used or written back. `where` names the file in the EngineError thrown otherwise.
nlohmann::json parseResumeState(const std::string& text, const std::string& where);

}  // namespace distill
