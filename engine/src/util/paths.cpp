#include "util/paths.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "distill/errors.h"

namespace distill {

std::string bundledCorpusPath() { return std::string(DISTILL_RESOURCE_DIR) + "/data/tinyshakespeare.txt"; }

void writeFileAtomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw EngineError("cannot write " + tmp + ": " + std::strerror(errno));
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string reason = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      throw EngineError("cannot write " + tmp + ": " + reason);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw EngineError("cannot flush " + tmp + ": " + reason);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw EngineError("cannot rename " + tmp + " to " + path + ": " + reason);
  }
  syncDirectory(std::filesystem::path(path).parent_path().string());
}

void syncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the data files themselves were synced
  ::fsync(fd);
  ::close(fd);
}

std::string fileInside(const std::string& folder, const std::string& fileName) {
  if (fileName.empty() || fileName == "." || fileName == ".." || fileName.find('/') != std::string::npos ||
      fileName.find('\0') != std::string::npos)
    throw EngineError("refusing to write '" + fileName + "' in " + folder +
                      ": a file name must stay inside its folder");
  return (std::filesystem::path(folder) / fileName).string();
}

std::string readFile(const std::string& path, const std::string& what) {
  if (!std::filesystem::exists(path)) throw EngineError(what + " not found: " + path);
  if (std::filesystem::is_directory(path)) throw EngineError(what + " is a directory, not a file: " + path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw EngineError("cannot read " + what + " " + path + ": " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string checkpointFolderFor(const std::string& runDir, int repeat) {
  const std::filesystem::path first = std::filesystem::path(runDir) / "checkpoints";
  return (repeat <= 1 ? first : first / ("repeat-" + std::to_string(repeat))).string();
}

}  // namespace distill
