#pragma once

// Collecting and writing a run's run.json (see distill/provenance.h).

#include <nlohmann/json.hpp>
#include <string>

#include "distill/experiment.h"

namespace distill {

/// What the run layer knows of how it computes.
struct ComputeFacts {
  std::string device = "cpu";
  std::string precision = "fp32";
  int threads = 1;    ///< intra-op threads of this process
  int processes = 1;  ///< data-parallel processes
  /// The corpus digest the run's token cache recorded (hashing a big corpus again costs seconds);
  /// empty: hash the corpus path here.
  std::string corpusSha256;
  long long corpusBytes = 0;
};

/// run.json's content at the start of a run: build, machine, command line (this process's), start
/// time, seed and the inputs' SHA-256 (`config` has its paths resolved). Throws EngineError when
/// an input cannot be read.
nlohmann::ordered_json collectProvenance(const ExperimentConfig& config, const RunOptions& options,
                                         const ComputeFacts& facts);

/// Now, as "2026-12-03T12:15:00Z".
std::string utcTimestamp();

}  // namespace distill
