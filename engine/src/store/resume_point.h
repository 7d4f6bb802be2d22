#pragma once

// Resumable checkpoints of a run: <run>/resume/<repeat>-<order>-<phase>-<step>/ holds every model's
// weights (<model>.pt), their optimizer and random states (state.pt) and what else the run needs
// to continue exactly (state.json). A folder is written as <name>.tmp and renamed when complete,
// so a crash leaves the previous point intact; the newest train.keep_checkpoints points are kept.

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "distill/run_phase.h"
#include "store/run_folder_lock.h"

namespace distill {

/// One resumable point being written.
class ResumePointWriter {
public:
  /// Starts <runDir>/resume/<repeat>-<order>-<phase>-<step>.tmp/ (an unfinished one is replaced);
  /// `repeat`: 1-based (train.repeats); `member`: the teacher of an ensemble in training (0-based).
  /// `keep`: how many points (the newest) commit() leaves in place (train.keep_checkpoints).
  ResumePointWriter(const std::string& runDir, int repeat, RunPhase phase, int member, int step, int keep);

  /// Where saveCheckpoint() writes the weights of `model`.
  std::string modelPath(const std::string& model) const;
  /// Optimizer and random states, written as state.pt by commit().
  torch::serialize::OutputArchive& archive() { return m_archive; }

  /// Writes state.pt and state.json (fsynced), renames the folder into place, syncs the parent and
  /// removes all but the `keep` newest points. Throws EngineError naming the path on any failure.
  void commit(const nlohmann::json& state);

private:
  std::string m_runDir;
  int m_keep = 2;
  std::string m_finalDir;
  std::string m_tmpDir;
  torch::serialize::OutputArchive m_archive;
};

/// One committed resumable point.
struct ResumePoint {
  std::string dir;
  RunPhase phase = RunPhase::Teacher;  ///< Teacher or Students
  int step = 0;                        ///< steps done in that phase
  nlohmann::json state;
  /// The run folder's writer lock, taken by the resume before it read anything (RunStore keeps it).
  std::shared_ptr<RunFolderLock> writerLock;

  std::string modelPath(const std::string& model) const;
  /// state.pt; throws EngineError naming it when it is missing or damaged.
  /// The state archive, its tensors (optimizer moments) loaded onto `device`.
  torch::serialize::InputArchive openArchive(const torch::Device& device = torch::Device(torch::kCPU)) const;
};

/// Checks every file of a point against its own CRC-32s (a damaged one throws EngineError naming it).
void checkResumePointIntact(const ResumePoint& point);

/// The newest committed point whose files pass checkResumePointIntact (what a resume takes);
/// each newer damaged one is reported to `onDamaged`. Nullopt when there is none.
std::optional<ResumePoint> newestIntactResumePoint(
    const std::string& runDir, const std::function<void(const std::string&)>& onDamaged = {});

/// Removes a run's resumable checkpoints (a completed run needs none).
void removeResumePoints(const std::string& runDir);

/// The committed points of a run, newest first (folders still named .tmp are ignored; a point
/// whose state.json cannot be read is skipped).
std::vector<ResumePoint> listResumePoints(const std::string& runDir);

}  // namespace distill
