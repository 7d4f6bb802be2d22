#include "interrupt.h"

#include <chrono>
#include <csignal>
#include <iostream>

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

InterruptWatcher::InterruptWatcher(std::string message, std::function<void()> stop) {
  catchInterrupts();
  m_thread = std::thread([this, message = std::move(message), stop = std::move(stop)] {
    while (!m_done) {
      if (interrupted()) {
        std::cerr << "\n" << message << "\n";
        stop();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

InterruptWatcher::~InterruptWatcher() {
  m_done = true;
  m_thread.join();
}

}  // namespace distill::cli
