#pragma once

// Reading an experiment file: its text, its folder (relative paths resolve against it) and the
// name it gets when it has no `name` key. Shared by the experiment and sweep readers, so a file
// is read once and refused (unreadable, over 1 MiB) the same way by both.

#include <optional>
#include <string>

#include "distill/config.h"

namespace distill {

struct ExperimentFileText {
  std::string text;
  std::string dir;
  std::string defaultName;               ///< the file's stem, made fit for a folder name
  std::optional<ConfigProblem> problem;  ///< set when the file cannot be used (then the rest is empty)
};

ExperimentFileText readExperimentFile(const std::string& path);

}  // namespace distill
