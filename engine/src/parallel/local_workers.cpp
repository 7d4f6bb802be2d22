#include "parallel/local_workers.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

#include "distill/errors.h"

extern char** environ;

namespace distill {

namespace {

/// This process's environment without the variables that place a process in a group.
std::vector<std::string> environmentFor(int rank, const DistributedOptions& options, int port) {
  static const char* const placement[] = {
      "RANK=",        "WORLD_SIZE=",  "LOCAL_RANK=",           "LOCAL_WORLD_SIZE=",
      "MASTER_ADDR=", "MASTER_PORT=", "DISTILL_DIST_TIMEOUT=", "TORCHELASTIC_USE_AGENT_STORE="};
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    bool replaced = false;
    for (const char* prefix : placement)
      replaced = replaced || std::strncmp(*e, prefix, std::strlen(prefix)) == 0;
    if (!replaced) env.emplace_back(*e);
  }
  env.push_back("RANK=" + std::to_string(rank));
  env.push_back("LOCAL_RANK=" + std::to_string(rank));
  env.push_back("WORLD_SIZE=" + std::to_string(options.worldSize));
  env.push_back("LOCAL_WORLD_SIZE=" + std::to_string(options.worldSize));
  env.push_back("MASTER_ADDR=127.0.0.1");
  env.push_back("MASTER_PORT=" + std::to_string(port));
  env.push_back("DISTILL_DIST_TIMEOUT=" +
                std::to_string(std::max(1, static_cast<int>(options.timeoutSeconds))));
  return env;
}

std::string describeEnd(int rank, pid_t pid, int status) {
  const std::string who = "rank " + std::to_string(rank) + " (pid " + std::to_string(pid) + ")";
  if (WIFSIGNALED(status)) return who + " was killed by signal " + std::to_string(WTERMSIG(status));
  return who + " exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

void LocalWorkers::start(const DistributedOptions& options, int port) {
  if (options.workerExecutable.empty())
    throw EngineError("cannot start local workers: no worker executable given");
  if (access(options.workerExecutable.c_str(), X_OK) != 0)
    throw EngineError("cannot start local workers: " + options.workerExecutable + " is not an executable");
  for (int rank = 1; rank < options.worldSize; ++rank) {
    const auto env = environmentFor(rank, options, port);
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    std::string executable = options.workerExecutable, command = "worker";
    char* argv[] = {executable.data(), command.data(), nullptr};
    pid_t pid = 0;
    const int error = posix_spawn(&pid, executable.c_str(), nullptr, nullptr, argv, envp.data());
    if (error != 0)
      throw EngineError("cannot start worker rank " + std::to_string(rank) + " (" + executable +
                        "): " + std::strerror(error));
    m_pids.push_back(pid);
    m_ends.emplace_back();
  }
}

std::string LocalWorkers::failures(std::chrono::milliseconds grace) {
  // A rank's death reaches rank 0 as a broken connection, which may come before the kernel has
  // the dead process ready to reap (a loaded machine): wait up to `grace` for one to show.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  std::string out;
  while (true) {
    for (size_t i = 0; i < m_pids.size(); ++i) {
      if (!m_ends[i].empty()) continue;
      int status = 0;
      if (waitpid(m_pids[i], &status, WNOHANG) == m_pids[i])
        m_ends[i] = WIFEXITED(status) && WEXITSTATUS(status) == 0
                        ? "ok"
                        : describeEnd(static_cast<int>(i) + 1, m_pids[i], status);
    }
    for (const auto& end : m_ends)
      if (!end.empty() && end != "ok") out += (out.empty() ? "" : "; ") + end;
    if (!out.empty() || std::chrono::steady_clock::now() >= deadline) return out;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

LocalWorkers::~LocalWorkers() {
  // Workers leave on their own once rank 0's last collective is done (or fails); give them a
  // moment, then make sure none outlives the run.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (size_t i = 0; i < m_pids.size(); ++i) {
    if (!m_ends[i].empty()) continue;
    int status = 0;
    while (waitpid(m_pids[i], &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(m_pids[i], SIGKILL);
        waitpid(m_pids[i], &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

}  // namespace distill
