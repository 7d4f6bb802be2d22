#include "store/run_folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "distill/errors.h"

namespace distill {

namespace {

std::string lockPath(const std::string& runDir) {
  return (std::filesystem::path(runDir) / "run.lock").string();
}

/// "pid 1234 on host since 2026-12-03 10:15:00": who writes the folder, for the refusal message.
std::string holderLine() {
  char host[256] = "unknown host";
  ::gethostname(host, sizeof host - 1);
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
  return "pid " + std::to_string(::getpid()) + " on " + host + " since " + stamp;
}

std::string readHolder(int fd) {
  char text[256] = {};
  const auto n = ::pread(fd, text, sizeof text - 1, 0);
  std::string holder = n > 0 ? std::string(text, static_cast<size_t>(n)) : std::string("another process");
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\r')) holder.pop_back();
  return holder;
}

}  // namespace

RunFolderLock::RunFolderLock(const std::string& runDir) {
  const std::string path = lockPath(runDir);
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (m_fd < 0) throw EngineError("cannot write " + path + ": " + std::strerror(errno));
  // A reader's isHeld() probe holds a shared lock for microseconds: retry briefly before refusing.
  int tries = 0;
  while (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    if (error == EWOULDBLOCK && ++tries < 10) {
      ::usleep(20000);
      continue;
    }
    const std::string holder = readHolder(m_fd);
    ::close(m_fd);
    m_fd = -1;
    if (error == EWOULDBLOCK)
      throw EngineError("the run folder " + runDir + " is being written by " + holder +
                        "; wait for that run to end or stop it first");
    throw EngineError("cannot lock " + path + ": " + std::strerror(error));
  }
  const std::string line = holderLine() + "\n";
  if (::ftruncate(m_fd, 0) != 0 ||
      ::pwrite(m_fd, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size())) {
    const int error = errno;
    ::close(m_fd);
    m_fd = -1;
    throw EngineError("cannot write " + path + ": " + std::strerror(error));
  }
}

RunFolderLock::~RunFolderLock() {
  if (m_fd >= 0) ::close(m_fd);  // closing the last descriptor releases the flock
}

bool RunFolderLock::isHeld(const std::string& runDir) {
  const int fd = ::open(lockPath(runDir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

}  // namespace distill
