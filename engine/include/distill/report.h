#pragma once

// One self-contained HTML file about a run, to send to someone: the experiment (resolved YAML),
// its provenance, the results table with the verdicts, the loss charts (inline SVG) and every
// model's continuation of a prompt side by side, shaded by how likely the teacher finds each token
// (its top 5 on hover), as the workbench's Samples tab shows them.

#include <functional>
#include <string>

namespace distill {

struct ReportOptions {
  /// The prompt the models continue (empty: the experiment's first generate.prompts).
  std::string prompt;
  /// Tokens each model writes (0: no samples section).
  int maxNewTokens = 160;
  /// Where the work stands ("sampling lstm-kd", ...), for a progress line.
  std::function<void(const std::string&)> progress;
};

/// Writes the report of `runDir` to `outFile` (atomically). Throws EngineError.
void writeRunReport(const std::string& runDir, const std::string& outFile, const ReportOptions& options = {});

}  // namespace distill
