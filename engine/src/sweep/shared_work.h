#pragma once

// What trials can share. Two trials whose settings agree on everything the teacher's training
// reads distil from one teacher; two whose settings differ only in how a student is distilled
// (the soft loss, temperature, alpha and their schedules, the feature terms) share that student's
// scratch twin, which never reads them. Each key is the resolved YAML of just those settings.

#include <string>

#include "distill/config.h"
#include "distill/experiment.h"
#include "distill/sweep.h"

namespace distill {

/// The settings that decide the teacher a run trains.
std::string teacherKey(const ExperimentConfig& config);
/// The settings that decide student `index`'s scratch twin.
std::string scratchKey(const ExperimentConfig& config, size_t index);
/// The experiment with its students removed: the run that trains the teacher alone.
ExperimentConfig teacherOnly(const ExperimentConfig& config);
/// How a trial (or a shared teacher) runs: no speed timings, and every one maps the token cache
/// of the sweep's runs root, so the corpus is tokenized once for the whole sweep.
RunOptions trialRunOptions(const SweepOptions& sweep);

}  // namespace distill
