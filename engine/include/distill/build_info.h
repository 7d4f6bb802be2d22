#pragma once

// What this program was built from and against: `distill --version`, the workbench's About box
// and every run's summary.json report the same facts.

#include <string>

namespace distill {

/// The project's version (CMake's project version).
std::string projectVersion();
/// "1.13.1" — the LibTorch the engine was compiled against.
std::string libtorchVersion();
/// Where that LibTorch came from: "debian" (libtorch-dev), "pypi" (the torch wheel) or "other".
std::string libtorchSource();
/// CMake's build type: "Release", "Debug", ...
std::string buildType();

}  // namespace distill
