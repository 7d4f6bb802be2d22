#pragma once

// What this program was built from and against: shown in the workbench's About box.

#include <string>

namespace distill {

/// The project's version (CMake's project version).
std::string projectVersion();
/// "1.13.1" — the LibTorch the engine was compiled against.
std::string libtorchVersion();

}  // namespace distill
