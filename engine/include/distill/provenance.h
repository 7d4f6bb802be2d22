#pragma once

// What produced a run (its run.json): the build, the machine, the command line, when, and a
// SHA-256 of every input it read — the experiment file, the corpus, the tokenizer, a pretrained
// teacher. The runs panel and `distill runs` show it; `distill run --reproduce` compares it.

#include <string>
#include <vector>

namespace distill {

/// One fact, flattened: "build.libtorch" → "1.13.1", "inputs.corpus.sha256" → "9a3f…".
struct ProvenanceField {
  std::string key;
  std::string value;
};

/// run.json of a run folder, flattened in file order; empty for a run that has none (older runs).
std::vector<ProvenanceField> readProvenance(const std::string& runDir);

/// The value of `key` in `fields` (empty when absent).
std::string provenanceValue(const std::vector<ProvenanceField>& fields, const std::string& key);

struct ProvenanceDifference {
  std::string key;
  std::string first;   ///< empty: absent
  std::string second;  ///< empty: absent
};

/// The facts that differ between two runs, leaving out those that differ between any two runs
/// (start and end times, status, the command line).
std::vector<ProvenanceDifference> provenanceDifferences(const std::vector<ProvenanceField>& first,
                                                        const std::vector<ProvenanceField>& second);

}  // namespace distill
