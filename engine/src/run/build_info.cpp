#include "distill/build_info.h"

#include <torch/version.h>

namespace distill {

std::string projectVersion() { return DISTILL_PROJECT_VERSION; }

std::string libtorchVersion() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

std::string libtorchSource() { return DISTILL_LIBTORCH_SOURCE; }

std::string buildType() { return DISTILL_BUILD_TYPE; }

}  // namespace distill
