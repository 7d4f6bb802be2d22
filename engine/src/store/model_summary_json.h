#pragma once

// One model's summary numbers as JSON: the one place their names are spelled, for summary.json
// (written by the run store, read by the run reader) and for a sweep's record of its trials.

#include <nlohmann/json.hpp>

#include "distill/experiment.h"

namespace distill {

/// Every field but the name (summary.json keys models by name); NaN numbers become null.
nlohmann::ordered_json modelSummaryJson(const ModelSummary& model);
/// Back from JSON; a missing or null number is NaN, an unknown role reads as Scratch (pairs with nothing).
ModelSummary modelSummaryFromJson(const std::string& name, const nlohmann::ordered_json& json);

/// One repeat's numbers (summary.json's "repeats" of a model, and repeats.json).
nlohmann::ordered_json repeatOutcomeJson(const RepeatOutcome& outcome);
RepeatOutcome repeatOutcomeFromJson(const nlohmann::ordered_json& json);

}  // namespace distill
