// Entry points of the engine's run API (distill/experiment.h): a new run, a resumed one, a
// data-parallel worker. They check the settings, choose the thread counts, start the local worker
// processes of a data-parallel run, and hand over to ExperimentRun.

#include "distill/experiment.h"

#include <filesystem>
#include <thread>

#include "distill/errors.h"
#include "distill/run_reader.h"
#include "parallel/collective.h"
#include "parallel/local_workers.h"
#include "run/experiment_run.h"
#include "store/resume_point.h"
#include "store/run_folder_lock.h"
#include "util/threads.h"

namespace distill {

namespace {

/// Automatic thread counts share this machine's cores among the run's processes on it.
int threadsPerProcess(int requested, int localProcesses) {
  if (requested > 0) return requested;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, localProcesses));
}

std::string firstProblem(const std::vector<ConfigProblem>& problems) {
  return problems.front().key + ": " + problems.front().message;
}

/// Runs `config` as one process or as rank 0 of a group: local workers it starts itself
/// (train.processes) or ranks a launcher started (options.distributed). Throws EngineError.
RunResult launch(ExperimentConfig config, const RunOptions& options, RunObserver& observer,
                 RunControl& control, const ResumePoint* resume) {
  if (options.processes > 0) config.train.processes = options.processes;
  DistributedOptions group = options.distributed;
  const int local = config.train.processes;
  if (local > 1) {
    if (group.active())
      throw EngineError(
          "train.processes: " + std::to_string(local) +
          " local processes do not combine with a launch that set RANK and WORLD_SIZE (torchrun, Slurm): "
          "set train.processes: 1 and let the launcher start the processes");
    group.rank = 0;
    group.worldSize = local;
    group.localProcesses = local;
    group.masterAddr = "127.0.0.1";
    group.masterPort = 0;
  }
  if (group.active()) {
    const auto problems = validateExperiment(config);  // train.processes may have changed
    if (!problems.empty()) throw EngineError("invalid experiment: " + firstProblem(problems));
    if (auto problem = dataParallelProblem(config)) throw EngineError(problem->key + ": " + problem->message);
  }
  const int threads = configureThreads(threadsPerProcess(config.train.threads, group.localProcesses));
  if (!group.active()) return ExperimentRun(config, options, observer, control, threads, resume).run();

  observer.onMessage("data-parallel run: " + std::to_string(group.worldSize) + " processes, " +
                     std::to_string(threads) + " thread(s) each, global batch " +
                     std::to_string(config.train.batch_size * group.worldSize));
  LocalWorkers workers;
  std::unique_ptr<Collective> collective;
  try {
    collective = joinGroup(group, [&](int port) {
      if (local > 1) workers.start(group, port);
    });
    collective->publish("config", experimentToYaml(config));
    collective->publish("resume", resume ? resume->dir : std::string());
    collective->publish("pause_on_non_finite", options.pauseOnNonFinite ? "1" : "0");
  } catch (const EngineError& e) {
    const std::string dead = workers.failures();
    throw EngineError(std::string(e.what()) + (dead.empty() ? "" : " [" + dead + "]"));
  }
  RunOptions groupOptions = options;
  groupOptions.distributed = group;
  ExperimentRun run(config, groupOptions, observer, control, threads, resume, collective.get());
  RunResult result = run.run();
  result.worldSize = group.worldSize;
  if (result.status == RunResult::Status::Failed) {
    const std::string dead = workers.failures(std::chrono::seconds(2));
    if (!dead.empty()) result.error += " [" + dead + "]";
  }
  return result;
}

RunResult failed(const std::string& runDir, const std::string& error) {
  RunResult result;
  result.status = RunResult::Status::Failed;
  result.runDir = runDir;
  result.error = error;
  return result;
}

/// The newest intact resumable checkpoint of a stopped, failed or killed run (an existing folder).
/// Throws EngineError.
ResumePoint resumePointOf(const std::string& runDir, RunObserver& observer) {
  if (readRunSummary(runDir).status == "completed")
    throw EngineError("run " + runDir + " has completed: nothing to resume");
  // The newest checkpoint whose files are intact; a damaged one (a disk fault) falls back to the one before.
  std::string damage;
  auto usable = newestIntactResumePoint(runDir, [&](const std::string& what) {
    damage = what;
    observer.onMessage("skipping a damaged checkpoint: " + damage);
  });
  if (!usable && damage.empty())
    throw EngineError(
        "run " + runDir +
        " has no resumable checkpoint (it stopped before its first; see train.checkpoint_interval)");
  if (!usable) throw EngineError("every resumable checkpoint of " + runDir + " is damaged: " + damage);
  return std::move(*usable);
}

/// The settings a resumable checkpoint was taken with (live changes included). Throws EngineError.
ExperimentConfig settingsOf(const ResumePoint& point, const std::string& runDir) {
  auto loaded = parseExperiment(point.state.at("config").get<std::string>(), runDir);
  const auto problems = loaded.ok() ? validateExperiment(loaded.config) : loaded.problems;
  if (!problems.empty())
    throw EngineError("the settings saved in " + point.dir + " are invalid: " + firstProblem(problems));
  // A step beyond its phase's length is damage: resuming from it would train for ever or not at all.
  const int phaseSteps =
      point.phase == RunPhase::Teacher ? loaded.config.train.steps : loaded.config.studentSteps();
  if (point.step < 0 || point.step > phaseSteps)
    throw EngineError(point.dir + "/state.json: step " + std::to_string(point.step) + " is outside the " +
                      phaseName(point.phase) + " phase's " + std::to_string(phaseSteps) + " steps");
  return loaded.config;
}

}  // namespace

RunResult runExperiment(const ExperimentConfig& config, const RunOptions& options, RunObserver& observer,
                        RunControl& control) {
  const auto problems = validateExperiment(config);
  if (!problems.empty()) return failed("", "invalid experiment: " + firstProblem(problems));
  try {
    return launch(config, options, observer, control, nullptr);
  } catch (const std::exception& e) {
    return failed("", e.what());
  }
}

RunResult resumeExperiment(const std::string& runDir, const RunOptions& options, RunObserver& observer,
                           RunControl& control) {
  try {
    if (!std::filesystem::is_directory(runDir)) throw EngineError("run directory not found: " + runDir);
    // Before anything is read: a second writer of this folder is refused at once.
    auto lock = std::make_shared<RunFolderLock>(runDir);
    ResumePoint point = resumePointOf(runDir, observer);
    point.writerLock = std::move(lock);
    RunOptions resumed = options;
    resumed.outDir = runDir;
    return launch(settingsOf(point, runDir), resumed, observer, control, &point);
  } catch (const std::exception& e) {
    return failed(runDir, e.what());
  }
}

RunResult runWorker(const DistributedOptions& distributed, RunObserver& observer) {
  try {
    if (!distributed.active() || distributed.rank == 0)
      throw EngineError("a worker is a rank other than 0 of a group of two or more (RANK, WORLD_SIZE)");
    auto collective = joinGroup(distributed);
    const std::string yaml = collective->fetch("config");
    auto loaded = parseExperiment(yaml, ".");
    if (!loaded.ok())
      throw EngineError("rank 0's settings do not parse here: " + firstProblem(loaded.problems));
    std::optional<ResumePoint> resume;
    if (const std::string dir = collective->fetch("resume"); !dir.empty()) {
      // Every rank reads the checkpoint rank 0 chose (across machines: a shared filesystem).
      for (auto& point : listResumePoints(std::filesystem::path(dir).parent_path().parent_path().string()))
        if (point.dir == dir) resume = std::move(point);
      if (!resume)
        throw EngineError("rank " + std::to_string(distributed.rank) + " cannot read rank 0's checkpoint " +
                          dir);
    }
    RunOptions options;
    options.distributed = distributed;
    options.pauseOnNonFinite = collective->fetch("pause_on_non_finite") == "1";
    RunControl control;  // never used: rank 0's decisions arrive by broadcast
    const int threads =
        configureThreads(threadsPerProcess(loaded.config.train.threads, distributed.localProcesses));
    ExperimentRun run(loaded.config, options, observer, control, threads, resume ? &*resume : nullptr,
                      collective.get());
    return run.run();
  } catch (const std::exception& e) {
    return failed("", e.what());
  }
}

}  // namespace distill
