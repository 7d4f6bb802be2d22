#pragma once

// Which experiment keys differ between runs: the comparison users ask for when two runs of the same
// experiment end differently. Works on the resolved config.yaml each run folder holds.

#include <string>
#include <vector>

namespace distill {

struct KeyDifference {
  std::string key;                  ///< dotted ("distill.temperature", "students.0.hidden")
  std::vector<std::string> values;  ///< one per input, in order; "(absent)" where a run lacks the key
};

/// The keys whose values are not the same in all of `yamlTexts` (each a YAML mapping), in the order
/// they first appear. Lists of scalars compare whole ("[1, 2]"); lists of mappings by index.
/// A text that does not parse counts as empty.
std::vector<KeyDifference> differingKeys(const std::vector<std::string>& yamlTexts);

}  // namespace distill
