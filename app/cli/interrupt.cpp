#include "interrupt.h"

#include <atomic>
#include <csignal>

namespace distill::cli {

namespace {
// The one piece of process state a signal handler may touch.
std::atomic<bool> g_interrupted{false};
void onInterrupt(int) { g_interrupted = true; }
}  // namespace

void catchInterrupts() {
  std::signal(SIGINT, onInterrupt);
  std::signal(SIGTERM, onInterrupt);
}

bool interrupted() { return g_interrupted.load(); }

}  // namespace distill::cli
