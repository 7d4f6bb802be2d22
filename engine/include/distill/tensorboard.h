#pragma once

// TensorBoard event files of a run folder (every run writes one as it goes; see README "Your runs
// in other tools").

#include <string>

namespace distill {

/// Writes `runDir`'s event file anew from its metrics, samples and settings (`distill export-tb`,
/// for runs older than the event files), replacing one this program wrote before. Returns its
/// path. Throws EngineError.
std::string exportTensorBoard(const std::string& runDir);

}  // namespace distill
