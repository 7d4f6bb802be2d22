#include "store/resume_point.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "distill/errors.h"
#include "store/resume_state_check.h"
#include "util/paths.h"
#include "util/zip_integrity.h"

namespace distill {

namespace fs = std::filesystem;

namespace {

/// Folder names sort in run order: by repeat (train.repeats), the teacher's phase before the
/// students', an ensemble's teachers in turn ("teacher", then "teacher01", ...: '-' sorts before
/// digits), then by step.
std::string pointName(int repeat, RunPhase phase, int member, int step) {
  char name[80];
  char phaseText[32];
  if (phase == RunPhase::Teacher && member > 0)
    std::snprintf(phaseText, sizeof phaseText, "%s%02d", phaseName(phase), member);
  else
    std::snprintf(phaseText, sizeof phaseText, "%s", phaseName(phase));
  std::snprintf(name, sizeof name, "%04d-%d-%s-%09d", repeat, phase == RunPhase::Teacher ? 1 : 2, phaseText,
                step);
  return name;
}

fs::path resumeRoot(const std::string& runDir) { return fs::path(runDir) / "resume"; }

/// Committed point folders, newest first.
std::vector<fs::path> pointFolders(const std::string& runDir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(resumeRoot(runDir), ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory() && it->path().extension() != ".tmp") out.push_back(it->path());
  }
  std::sort(out.begin(), out.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() > b.filename(); });
  return out;
}

/// One point's state.json, bounded and checked before use (parseResumeState). Throws.
ResumePoint readResumePoint(const fs::path& folder) {
  ResumePoint p;
  p.dir = folder.string();
  const std::string path = (folder / "state.json").string();
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw EngineError("cannot read " + path + ": " + ec.message());
  if (size > kMaxResumeStateBytes) throw EngineError(path + " is larger than a resume state can be");
  p.state = parseResumeState(readFile(path, "resume state"), path);
  p.phase = *parseRunPhase(p.state.at("phase").get<std::string>());  // checked by parseResumeState
  p.step = static_cast<int>(p.state.at("step").get<int64_t>());      // range-checked above
  return p;
}

}  // namespace

ResumePointWriter::ResumePointWriter(const std::string& runDir, int repeat, RunPhase phase, int member,
                                     int step, int keep)
    : m_runDir(runDir), m_keep(std::max(1, keep)) {
  const fs::path root = resumeRoot(runDir);
  m_finalDir = (root / pointName(repeat, phase, member, step)).string();
  m_tmpDir = m_finalDir + ".tmp";
  std::error_code ec;
  fs::remove_all(m_tmpDir, ec);
  fs::create_directories(m_tmpDir, ec);
  if (ec) throw EngineError("cannot create " + m_tmpDir + ": " + ec.message() + " (read-only or full disk?)");
}

std::string ResumePointWriter::modelPath(const std::string& model) const {
  return fileInside(m_tmpDir, model + ".pt");
}

void ResumePointWriter::commit(const nlohmann::json& state) {
  std::ostringstream bytes;
  m_archive.save_to(bytes);
  writeFileAtomically((fs::path(m_tmpDir) / "state.pt").string(), bytes.str());
  writeFileAtomically((fs::path(m_tmpDir) / "state.json").string(), state.dump(2) + "\n");
  syncDirectory(m_tmpDir);
  std::error_code ec;
  fs::remove_all(m_finalDir, ec);  // the same step saved again (a stop right after a periodic save)
  fs::rename(m_tmpDir, m_finalDir, ec);
  if (ec) throw EngineError("cannot rename " + m_tmpDir + " to " + m_finalDir + ": " + ec.message());
  syncDirectory(resumeRoot(m_runDir).string());
  const auto folders = pointFolders(m_runDir);
  for (size_t i = static_cast<size_t>(m_keep); i < folders.size(); ++i) fs::remove_all(folders[i], ec);
}

std::string ResumePoint::modelPath(const std::string& model) const {
  return (fs::path(dir) / (model + ".pt")).string();
}

torch::serialize::InputArchive ResumePoint::openArchive(const torch::Device& device) const {
  const std::string path = (fs::path(dir) / "state.pt").string();
  const std::string bytes = readFile(path, "resume state");
  verifyZipIntegrity(bytes, "resume state " + path);
  torch::serialize::InputArchive archive;
  try {
    std::istringstream in(bytes);
    archive.load_from(in, device);
  } catch (const std::exception&) {
    throw EngineError("resume state " + path + " is not a readable LibTorch archive (truncated or corrupt?)");
  }
  return archive;
}

void checkResumePointIntact(const ResumePoint& point) {
  std::error_code ec;
  for (fs::directory_iterator it(point.dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".pt") continue;
    const std::string path = it->path().string();
    verifyZipIntegrity(readFile(path, "checkpoint"), "checkpoint " + path);
  }
  if (ec) throw EngineError("cannot read " + point.dir + ": " + ec.message());
  if (!fs::exists(fs::path(point.dir) / "state.pt")) throw EngineError(point.dir + " has no state.pt");
}

std::optional<ResumePoint> newestIntactResumePoint(const std::string& runDir,
                                                   const std::function<void(const std::string&)>& onDamaged) {
  for (const auto& folder : pointFolders(runDir)) {
    try {
      ResumePoint point = readResumePoint(folder);
      checkResumePointIntact(point);
      return point;
    } catch (const std::exception& e) {
      if (onDamaged) onDamaged(e.what());
    }
  }
  return std::nullopt;
}

void removeResumePoints(const std::string& runDir) {
  std::error_code ec;
  fs::remove_all(resumeRoot(runDir), ec);  // best effort: leftovers cost disk, not correctness
}

std::vector<ResumePoint> listResumePoints(const std::string& runDir) {
  std::vector<ResumePoint> out;
  for (const auto& folder : pointFolders(runDir)) {
    try {
      out.push_back(readResumePoint(folder));
    } catch (const std::exception&) {
      // Damaged: an older point may still serve.
    }
  }
  return out;
}

}  // namespace distill
