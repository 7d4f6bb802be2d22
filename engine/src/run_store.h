#pragma once

#include <fstream>
#include <string>
#include <vector>

#include "distill/experiment.h"
#include "distill/observer.h"

namespace distill {

/// The run directory: config.yaml, metrics.jsonl, samples.jsonl, summary.json, checkpoints/.
/// JSONL files are appended one whole line at a time and flushed, so a crash never leaves a
/// line that a reader cannot parse (at worst the last lines are missing).
class RunStore {
public:
  /// Creates the folder (and checkpoints/); throws EngineError when it cannot be written.
  explicit RunStore(std::string dir);

  /// <root>/<name>-<YYYYmmdd-HHMMSS>, with a numeric suffix if that folder exists already.
  static std::string newRunDirectory(const std::string& root, const std::string& name);

  const std::string& dir() const { return m_dir; }
  std::string checkpointPath(const std::string& model) const;

  void writeConfig(const std::string& yaml);
  void appendMetrics(const std::vector<MetricPoint>& points);
  void appendSample(const SampleRecord& sample);
  void writeSummary(const std::string& experiment, const std::string& status, const std::string& error,
                    const std::vector<ModelSummary>& models);

  /// methods.csv: method,val_loss,perplexity,agreement,tokens_per_s, one row per student model
  /// (method = the student's name, or <name>-scratch for its twin).
  void writeMethodsTable(const std::vector<ModelSummary>& models);

private:
  void appendLine(std::ofstream& file, const std::string& path, const std::string& line);

  std::string m_dir;
  std::ofstream m_metrics;
  std::ofstream m_samples;
};

}  // namespace distill
