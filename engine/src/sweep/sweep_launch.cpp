// Entry points of the sweep API (distill/sweep.h): a new sweep, a resumed one, reading one back.

#include <chrono>
#include <ctime>
#include <filesystem>

#include "distill/errors.h"
#include "distill/sweep.h"
#include "store/run_folder_lock.h"
#include "sweep/sweep_record.h"
#include "sweep/sweep_runner.h"

namespace distill {

namespace {

namespace fs = std::filesystem;

std::string newSweepDir(const SweepFile& file, const SweepOptions& options) {
  if (!options.outDir.empty()) return options.outDir;
  const std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
  return (fs::path(options.runsRoot) / ("sweep-" + file.base.name + "-" + stamp)).string();
}

SweepResult failedSweep(const std::string& dir, const std::string& error) {
  SweepResult result;
  result.status = SweepResult::Status::Failed;
  result.dir = dir;
  result.error = error;
  return result;
}

}  // namespace

SweepResult runSweep(const SweepFile& file, const SweepOptions& options, SweepObserver& observer,
                     SweepControl& control) {
  if (!file.ok()) return failedSweep("", "invalid sweep: " + file.problems.front().toString(file.path));
  std::string dir;
  try {
    dir = fs::absolute(newSweepDir(file, options)).lexically_normal().string();
    if (fs::exists(dir) && !fs::is_empty(dir))
      throw EngineError("the sweep folder " + dir + " exists and is not empty (resume it with --resume)");
    fs::create_directories(dir);
    RunFolderLock lock(dir);
    SweepState state;
    state.file = file;
    if (options.maxTrials > 0) state.file.sweep.maxTrials = options.maxTrials;
    state.dir = dir;
    state.reuseTeacher = options.reuseTeacher;
    return SweepRunner(std::move(state), options, observer, control).run();
  } catch (const std::exception& e) {
    return failedSweep(dir, e.what());
  }
}

SweepResult resumeSweep(const std::string& dir, const SweepOptions& options, SweepObserver& observer,
                        SweepControl& control) {
  try {
    RunFolderLock lock(dir);
    SweepState state = readSweepRecord(dir);
    if (state.status == "completed" && options.maxTrials <= 0)
      throw EngineError("sweep " + dir + " has completed: nothing to resume (--max-trials N adds trials)");
    if (options.maxTrials > 0) state.file.sweep.maxTrials = options.maxTrials;
    state.dir = fs::absolute(dir).lexically_normal().string();
    for (auto& t : state.trials)  // in flight when it stopped: the runner resumes these first
      if (t.status == SweepTrial::Status::Running) t.status = SweepTrial::Status::Pending;
    return SweepRunner(std::move(state), options, observer, control).run();
  } catch (const std::exception& e) {
    return failedSweep(dir, e.what());
  }
}

SweepResult readSweep(const std::string& dir) { return sweepResultOf(readSweepRecord(dir)); }

}  // namespace distill
