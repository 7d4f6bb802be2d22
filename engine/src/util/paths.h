#pragma once

#include <string>

#include "distill/model_info.h"  // bundledCorpusPath()

namespace distill {

/// Writes `bytes` to `path` atomically: temporary file in the same folder, fsync, rename.
/// A crash leaves either the old file or the new one, never a torn one.
void writeFileAtomically(const std::string& path, const std::string& bytes);

/// fsync of a folder: makes a rename or a new file inside it survive a power loss.
void syncDirectory(const std::string& dir);

/// `folder/fileName`, refusing (EngineError) a file name that would leave the folder: empty, ".",
/// "..", or holding a path separator. Every file a run writes under a model's name goes through it.
std::string fileInside(const std::string& folder, const std::string& fileName);

/// The folder of a run's final checkpoints of repeat `repeat` (train.repeats): <run>/checkpoints
/// for the first, <run>/checkpoints/repeat-<n> for a later one. The one place that spells it.
std::string checkpointFolderFor(const std::string& runDir, int repeat = 1);

/// Reads a whole file; throws EngineError naming the file when it cannot.
std::string readFile(const std::string& path, const std::string& what);

}  // namespace distill
