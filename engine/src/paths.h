#pragma once

#include <string>

#include "distill/model_info.h"  // bundledCorpusPath()

namespace distill {

/// Writes `bytes` to `path` atomically: temporary file in the same folder, fsync, rename.
/// A crash leaves either the old file or the new one, never a torn one.
void writeFileAtomically(const std::string& path, const std::string& bytes);

/// fsync of a folder: makes a rename or a new file inside it survive a power loss.
void syncDirectory(const std::string& dir);

/// Reads a whole file; throws EngineError naming the file when it cannot.
std::string readFile(const std::string& path, const std::string& what);

}  // namespace distill
