#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "distill/experiment.h"
#include "distill/observer.h"
#include "store/run_folder_lock.h"

namespace distill {

class TensorBoardLog;

/// The run directory: config.yaml, metrics.jsonl, samples.jsonl, summary.json, checkpoints/.
/// JSONL files are appended one whole line at a time and flushed, so a crash never leaves a
/// line that a reader cannot parse (at worst the last lines are missing).
class RunStore {
public:
  /// Byte lengths of metrics.jsonl and samples.jsonl: where a resumable checkpoint stands in them.
  struct Lengths {
    uint64_t metrics = 0;
    uint64_t samples = 0;
  };

  /// Creates the folder (and checkpoints/) and takes its writer's lock (RunFolderLock): a second
  /// writer of the same folder, in this process or another, gets an EngineError naming the first.
  /// Throws EngineError when the folder cannot be written. With
  /// `resumeAt` (a resumed run) the JSONL files are first cut back to those lengths, so the
  /// points written after that checkpoint are replaced, not duplicated.
  /// `heldLock`: the folder's lock when the caller took it already (a resume takes it first).
  explicit RunStore(std::string dir, const Lengths* resumeAt = nullptr,
                    std::shared_ptr<RunFolderLock> heldLock = nullptr);

  /// Removes running.pid: the run ended (see readRunSummary's "crashed").
  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  /// The current lengths (everything appended so far is flushed).
  Lengths lengths() const;

  /// <root>/<name>-<YYYYmmdd-HHMMSS>, with a numeric suffix if that folder exists already.
  static std::string newRunDirectory(const std::string& root, const std::string& name);

  const std::string& dir() const { return m_dir; }
  /// checkpoints/<model>.pt; a later repeat's (train.repeats) in checkpoints/repeat-<n>/.
  std::string checkpointPath(const std::string& model, int repeat = 1) const;
  /// repeats.json: every model's numbers at the end of each finished repeat (what a resumed run
  /// needs of the repeats before its own).
  void writeRepeatOutcomes(const std::map<std::string, std::vector<RepeatOutcome>>& outcomes);
  /// The outcomes of repeats numbered below `before` (none when the file is not there).
  std::map<std::string, std::vector<RepeatOutcome>> readRepeatOutcomes(int before) const;

  void writeConfig(const std::string& yaml);
  /// run.json (distill/provenance.h): a new run's facts, or for a resumed run its existing file
  /// with this resume noted. Its end and status follow with writeSummary.
  void writeProvenance(const nlohmann::ordered_json& facts, bool resumed);
  /// How many data-parallel processes trained the run (1: one); summary.json repeats it.
  void writeWorldSize(int worldSize);
  void appendMetrics(const std::vector<MetricPoint>& points);
  void appendSample(const SampleRecord& sample);
  void writeSummary(const std::string& experiment, const std::string& status, const std::string& error,
                    const std::vector<ModelSummary>& models);
  /// Device, precision and peak memory for summary.json's `compute` (absent until set).
  void setComputeUse(const ComputeUse& use) { m_compute = use; }

  /// responses.jsonl (prompt/response data): one line per held-out prompt, {"prompt", "reference",
  /// "answers": [{"model", "answer"}, ...]} with the models in the run's order. Written whole.
  void writeResponses(const std::vector<std::string>& prompts, const std::vector<std::string>& references,
                      const std::vector<std::pair<std::string, std::vector<std::string>>>& answers);

  /// methods.csv: method,val_loss,perplexity,agreement,train_tokens_per_s,bits_per_char, one row per student
  /// model (method = the student's name, or <name>-scratch for its twin); with held-out answers
  /// (prompt/response data) also exact_match,rouge_l against the references.
  void writeMethodsTable(const std::vector<ModelSummary>& models);

private:
  void appendLine(std::ofstream& file, const std::string& path, const std::string& line);

  std::string m_dir;
  std::shared_ptr<RunFolderLock> m_lock;
  nlohmann::ordered_json m_provenance;            // run.json as last written (null: none)
  std::unique_ptr<TensorBoardLog> m_tensorBoard;  // events.out.tfevents.*, from writeProvenance on
  int m_worldSize = 1;
  std::optional<ComputeUse> m_compute;
  std::ofstream m_metrics;
  std::ofstream m_samples;
};

}  // namespace distill
