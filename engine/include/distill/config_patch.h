#pragma once

#include <optional>
#include <string>

#include "distill/config.h"

namespace distill {

/// Carries a changed experiment back into the text its author wrote. `text` parses (from
/// `sourceDir`) to `before`; every value that differs between `before` and `after` is replaced
/// where it stands, so comments, key order, number spelling and the defaults the file never named
/// stay as written. Returns nullopt when a change has no place in the text (a key the file never
/// named, a student added or removed, a value inside a flow-style list or a block scalar): the
/// caller then has to rewrite the whole file (experimentToYaml) and should say so.
std::optional<std::string> patchExperimentYaml(const std::string& text, const std::string& sourceDir,
                                               const ExperimentConfig& before, const ExperimentConfig& after);

}  // namespace distill
