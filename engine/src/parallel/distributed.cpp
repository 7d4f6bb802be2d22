#include "distill/distributed.h"

#include <cstdlib>
#include <string>

#include "distill/errors.h"

namespace distill {

bool distributedSupported() {
#ifdef DISTILL_HAVE_C10D
  return true;
#else
  return false;
#endif
}

namespace {

const char* variable(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

/// An integer environment variable in [low, high]; throws naming it otherwise.
int integerVariable(const char* name, const char* value, long low, long high) {
  char* end = nullptr;
  const long parsed = std::strtol(value, &end, 10);
  if (end == value || *end != '\0' || parsed < low || parsed > high)
    throw EngineError(std::string("environment variable ") + name + "='" + value +
                      "' must be an integer in [" + std::to_string(low) + ", " + std::to_string(high) + "]");
  return static_cast<int>(parsed);
}

}  // namespace

std::optional<DistributedOptions> distributedFromEnvironment() {
  const char* rank = variable("RANK");
  const char* world = variable("WORLD_SIZE");
  if (!rank && !world) return std::nullopt;
  if (!rank || !world)
    throw EngineError(std::string("environment variable ") + (rank ? "WORLD_SIZE" : "RANK") +
                      " is not set but " + (rank ? "RANK" : "WORLD_SIZE") +
                      " is (launch with torchrun or set both)");
  DistributedOptions options;
  options.worldSize = integerVariable("WORLD_SIZE", world, 1, 1 << 20);
  options.rank = integerVariable("RANK", rank, 0, options.worldSize - 1);
  if (options.worldSize == 1) return options;
  const char* addr = variable("MASTER_ADDR");
  const char* port = variable("MASTER_PORT");
  if (!addr || !port)
    throw EngineError(std::string("environment variable ") + (addr ? "MASTER_PORT" : "MASTER_ADDR") +
                      " is not set (rank 0's host and port: torchrun sets them)");
  options.masterAddr = addr;
  options.masterPort = integerVariable("MASTER_PORT", port, 1, 65535);
  if (const char* local = variable("LOCAL_WORLD_SIZE"))
    options.localProcesses = integerVariable("LOCAL_WORLD_SIZE", local, 1, options.worldSize);
  if (const char* timeout = variable("DISTILL_DIST_TIMEOUT"))
    options.timeoutSeconds = integerVariable("DISTILL_DIST_TIMEOUT", timeout, 1, 86400);
  // torchrun's elastic agent hosts the store itself (torch.distributed's env:// does the same check).
  const char* agent = variable("TORCHELASTIC_USE_AGENT_STORE");
  options.agentStore = agent && std::string(agent) == "True";
  return options;
}

}  // namespace distill
