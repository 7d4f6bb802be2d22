#pragma once

// What trials can share. Two trials whose settings agree on everything the teacher's training
// reads distil from one teacher; two whose settings differ only in how a student is distilled
// (the soft loss, temperature, alpha and their schedules, the feature terms) share that student's
// scratch twin, which never reads them. Each key is the resolved YAML of just those settings.

#include <string>

#include "distill/config.h"

namespace distill {

/// The settings that decide the teacher a run trains.
std::string teacherKey(const ExperimentConfig& config);
/// The settings that decide student `index`'s scratch twin.
std::string scratchKey(const ExperimentConfig& config, size_t index);
/// The experiment with its students removed: the run that trains the teacher alone.
ExperimentConfig teacherOnly(const ExperimentConfig& config);

}  // namespace distill
