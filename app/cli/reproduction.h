#pragma once

// `distill run --reproduce RUNDIR`: what a rerun of a finished run from its config.yaml found —
// per model whether the validation loss came out the same to the last digit, or by how much it
// differs, and which provenance facts (build, machine, inputs) differ between the two runs.

#include <nlohmann/json.hpp>
#include <string>

#include "distill/experiment.h"

namespace distill::cli {

/// {reproduced_from, all_match, models: [{name, original, reproduced, difference, matches}],
/// provenance_differences: [{key, original, reproduced}]}. `original` is the finished run's folder.
nlohmann::ordered_json reproductionReport(const std::string& original, const RunResult& rerun);

/// The report as lines for the terminal.
void printReproduction(const nlohmann::ordered_json& report);

}  // namespace distill::cli
