// validate, run, run --resume and worker: the commands that read an experiment or a run folder.

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "../console_reporter.h"
#include "commands.h"
#include "distill/config.h"
#include "distill/distributed.h"
#include "distill/experiment.h"
#include "distill/run_reader.h"
#include "distill/sweep.h"
#include "distill/twin_comparison.h"
#include "exit_codes.h"
#include "interrupt.h"
#include "json_numbers.h"
#include "reproduction.h"

namespace distill::cli {

namespace {

using Json = nlohmann::ordered_json;

/// Options every command that reads an experiment shares, so `validate` checks exactly what `run` runs.
struct ExperimentInput {
  std::string file;
  std::vector<std::string> overrides;
};

void addExperimentInput(CLI::App* command, ExperimentInput& input, bool required) {
  auto* file = command->add_option("file", input.file, "Experiment YAML");
  if (required) file->required();
  command->add_option("--set", input.overrides, "Override a key: --set train.steps=30 (repeatable)");
}

int reportProblems(const std::string& file, const ConfigLoadResult& loaded) {
  for (const auto& problem : loaded.problems) std::cerr << problem.toString(file) << "\n";
  return kExitBadInput;
}

Json problemsJson(const std::string& file, const std::vector<ConfigProblem>& problems) {
  Json list = Json::array();
  for (const auto& p : problems) {
    // line/column 0 means "not from the file" (an override): null, not a position.
    list.push_back({{"file", file},
                    {"key", p.key},
                    {"line", p.line > 0 ? Json(p.line) : Json()},
                    {"column", p.column > 0 ? Json(p.column) : Json()},
                    {"message", p.message}});
  }
  return list;
}

int validateCommand(const ExperimentInput& input, bool json) {
  auto loaded = loadExperimentFile(input.file, input.overrides);
  if (loaded.ok()) {
    // A sweep: section is checked too (its keys, values and ranges against the experiment).
    const auto sweep = loadSweepFile(input.file, input.overrides);
    if (sweep.hasSweep) loaded.problems = sweep.problems;
  }
  if (json) {
    Json out = {{"file", input.file}, {"valid", loaded.ok()}};
    if (loaded.ok()) out["students"] = loaded.config.students.size();
    out["problems"] = problemsJson(input.file, loaded.problems);
    std::cout << out.dump(2) << "\n";
    return loaded.ok() ? kExitOk : kExitBadInput;
  }
  if (!loaded.ok()) return reportProblems(input.file, loaded);
  std::cout << input.file << ": valid (" << loaded.config.students.size() << " students)\n";
  return kExitOk;
}

std::string cell(double v, int width, int decimals, const char* suffix = "") {
  // A number that was not measured (an untrained student, generation speed of a stopped run) is "-".
  char text[48];
  if (std::isfinite(v))
    std::snprintf(text, sizeof text, "%*.*f%s", width, decimals, v, suffix);
  else
    std::snprintf(text, sizeof text, "%*s%*s", width, "-", static_cast<int>(std::strlen(suffix)), "");
  return text;
}

/// The standard deviation over a model's repeats, as "±0.0123" (blank for a model trained once).
std::string sdCell(const ModelSummary& m, double RepeatOutcome::*number, int width, int decimals) {
  if (m.repeats.size() < 2) return std::string(static_cast<size_t>(width), ' ');
  char text[48];
  std::snprintf(text, sizeof text, "±%-*.*f", width - 1, decimals, spreadOf(m.repeats, number).sd);
  return text;
}

/// Prompt/response data: how each model answered the held-out prompts.
void printAnswerTable(const RunResult& result) {
  int examples = 0;
  for (const auto& m : result.models) examples = std::max(examples, m.responses.examples);
  if (examples == 0) return;
  std::printf("\nheld-out prompts answered (greedy): %d\n%-22s %11s %9s %16s %12s\n", examples, "model",
              "exact_match", "rouge_l", "exact_vs_teacher", "rouge_l_vs_t");
  for (const auto& m : result.models) {
    const auto& r = m.responses;
    std::printf("%-22s %s %s %s %s\n", m.name.c_str(), cell(r.exactMatch, 11, 3).c_str(),
                cell(r.rougeL, 9, 3).c_str(), cell(r.exactMatchTeacher, 16, 3).c_str(),
                cell(r.rougeLTeacher, 12, 3).c_str());
  }
}

/// An ensemble of teachers: each student against each member (agreement, KL).
void printTeacherTable(const RunResult& result) {
  std::vector<std::string> teachers;
  for (const auto& m : result.models)
    if (m.byTeacher.size() > teachers.size())
      for (size_t i = teachers.size(); i < m.byTeacher.size(); ++i)
        teachers.push_back(m.byTeacher[i].teacher);
  if (teachers.empty()) return;
  std::printf("\nagainst each teacher of the ensemble (agreement / KL per token)\n%-22s", "model");
  for (const auto& t : teachers) std::printf(" %22s", t.c_str());
  std::printf("\n");
  for (const auto& m : result.models) {
    if (m.byTeacher.empty()) continue;
    std::printf("%-22s", m.name.c_str());
    for (const auto& t : m.byTeacher)
      std::printf("       %s / %s", cell(t.agreement, 6, 3).c_str(), cell(t.kl, 7, 4).c_str());
    std::printf("\n");
  }
}

void printTable(const RunResult& result) {
  // Over repeats the numbers are means, each with its standard deviation beside it.
  std::printf("\n%-22s %-11s %9s %9s %7s %9s %11s %10s %10s %10s %12s %9s\n", "model", "arch", "params",
              "val_loss", "sd", "bits/char", "perplexity", "agreement", "kl_teacher", "gen_tok/s",
              "recompute/s", "vs_teacher");
  for (const auto& m : result.models) {
    std::printf("%-22s %-11s %9lld %s %s %s %s %s %s %s %s %s%s\n", m.name.c_str(), m.arch.c_str(), m.params,
                cell(m.valLoss, 9, 4).c_str(), sdCell(m, &RepeatOutcome::valLoss, 7, 4).c_str(),
                cell(m.valBitsPerChar, 9, 4).c_str(), cell(m.valPerplexity, 11, 3).c_str(),
                cell(m.agreement, 10, 3).c_str(), cell(m.klFromTeacher, 10, 4).c_str(),
                cell(m.genTokensPerSecond, 10, 0).c_str(), cell(m.genRecomputeTokensPerSecond, 12, 0).c_str(),
                cell(m.genSpeedupVsTeacher, 8, 2, "x").c_str(), m.trained ? "" : "  not trained");
  }
  // The point of the run: does distillation beat the same student trained from scratch?
  for (const auto& pair : twinPairs(result.models)) {
    const auto& c = pair.comparison;
    if (c.verdict == TwinComparison::Verdict::NotMeasured) {
      std::printf("%s: not trained (the run stopped before the students' phase)\n", pair.student.c_str());
      continue;
    }
    if (pair.paired.pairs >= 2) {
      std::printf("%s: distilled %.4f vs scratch %.4f mean val loss; KD - scratch %s (95 %% CI): %s\n",
                  pair.student.c_str(), pair.distilled->valLoss, pair.scratch->valLoss,
                  intervalText(pair.paired).c_str(), twinVerdict(pair).c_str());
      continue;
    }
    std::printf("%s: distilled %.4f vs scratch %.4f val loss (%+.4f, %s)\n", pair.student.c_str(),
                pair.distilled->valLoss, pair.scratch->valLoss, c.delta, verdictText(c.verdict).c_str());
  }
  printTeacherTable(result);
  printAnswerTable(result);
}

/// One distilled student against its twin, for `run --json` and `runs --json`.
Json comparisonJson(const TwinPair& pair) {
  Json out = {{"student", pair.student},
              {"distilled_val_loss", finiteOrNull(pair.distilled->valLoss)},
              {"scratch_val_loss", finiteOrNull(pair.scratch->valLoss)},
              {"delta", finiteOrNull(pair.comparison.delta)},
              {"gap_recovered", finiteOrNull(pair.comparison.gapRecovered)},
              {"verdict", twinVerdict(pair)}};
  if (pair.paired.pairs >= 2)
    out["paired"] = {{"pairs", pair.paired.pairs},
                     {"mean", finiteOrNull(pair.paired.mean)},
                     {"sd", finiteOrNull(pair.paired.sd)},
                     {"low", finiteOrNull(pair.paired.low)},
                     {"high", finiteOrNull(pair.paired.high)}};
  return out;
}

/// `run --json`: the run folder's own summary.json (one place names its fields) plus the verdicts.
Json runJson(const RunResult& result, const std::string& resumeHint) {
  static const char* kStatus[] = {"completed", "cancelled", "failed"};
  Json out = {{"status", kStatus[static_cast<int>(result.status)]},
              {"run_dir", result.runDir.empty() ? Json() : Json(result.runDir)}};
  if (!result.error.empty()) out["error"] = result.error;
  if (!resumeHint.empty()) out["resume"] = resumeHint;
  Json summary;
  std::ifstream file(std::filesystem::path(result.runDir) / "summary.json");
  if (!result.runDir.empty() && file) summary = Json::parse(file, nullptr, false);
  out["summary"] = summary.is_discarded() ? Json() : summary;
  Json comparisons = Json::array();
  for (const auto& pair : twinPairs(result.models)) comparisons.push_back(comparisonJson(pair));
  out["comparisons"] = comparisons;
  return out;
}

/// How this process takes part in data-parallel training: `--nproc` (local workers it starts), or
/// the torchrun / Slurm environment (RANK, WORLD_SIZE, ...).
struct GroupRequest {
  int processes = 0;          ///< --nproc; 0: train.processes
  double timeoutSeconds = 0;  ///< --dist-timeout; 0: DISTILL_DIST_TIMEOUT or 60 s
};

/// This program's own path: local data-parallel workers are started from it.
std::string ownExecutable() {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : path.string();
}

RunOptions optionsFor(const GroupRequest& request) {
  RunOptions options;
  options.processes = request.processes;
  if (auto fromEnvironment = distributedFromEnvironment()) options.distributed = *fromEnvironment;
  if (request.timeoutSeconds > 0) options.distributed.timeoutSeconds = request.timeoutSeconds;
  options.distributed.workerExecutable = ownExecutable();
  return options;
}

/// A rank other than 0: trains its shard of rank 0's run and reports only failures.
int workerCommand(const GroupRequest& request) {
  auto distributed = distributedFromEnvironment();
  if (!distributed || !distributed->active() || distributed->rank == 0) {
    std::cerr
        << "error: a worker needs RANK (1 or more) and WORLD_SIZE (2 or more), MASTER_ADDR and MASTER_PORT "
           "(distill run --nproc N or torchrun set them)\n";
    return kExitBadInput;
  }
  if (request.timeoutSeconds > 0) distributed->timeoutSeconds = request.timeoutSeconds;
  std::signal(SIGINT, SIG_IGN);  // Ctrl-C reaches the whole terminal; rank 0 decides and tells every rank
  RunObserver quiet;
  const auto result = runWorker(*distributed, quiet);
  if (result.status == RunResult::Status::Failed) {
    std::cerr << "error: " << result.error << "\n";
    return kExitFailed;
  }
  return result.status == RunResult::Status::Cancelled ? kExitInterrupted : kExitOk;
}

using RunStart = std::function<RunResult(RunObserver&, RunControl&)>;
/// What a command adds after its run: to the JSON object (json mode) or to the terminal (null).
using RunEpilogue = std::function<void(const RunResult&, Json*)>;

/// Runs `start` (a new run or a resumed one) with Ctrl-C / SIGTERM stopping it cleanly. With
/// `json`, progress goes to stderr and stdout carries only the final JSON object.
int runWithConsole(const RunStart& start, bool json, const RunEpilogue& epilogue = {}) {
  RunControl control;
  RunResult result;
  {
    InterruptWatcher watcher("interrupted: stopping after the current step and saving checkpoints",
                             [&] { control.cancel(); });
    ConsoleReporter reporter(json ? std::cerr : std::cout);
    result = start(reporter, control);
  }

  std::string resumeHint;
  if (result.status == RunResult::Status::Failed && !result.runDir.empty()) {
    // Whatever stopped it, the last resumable checkpoint is still there.
    if (const auto point = findResumePoint(result.runDir)) {
      resumeHint = "distill run --resume " + result.runDir +
                   (result.worldSize > 1 ? " --nproc " + std::to_string(result.worldSize) : std::string());
      std::cerr << "the last good checkpoint is " << point->phase << " step " << point->step << ": "
                << resumeHint << "\n";
    }
  }
  if (result.status == RunResult::Status::Failed) std::cerr << "error: " << result.error << "\n";
  const bool completed = result.status == RunResult::Status::Completed;
  if (json) {
    Json out = runJson(result, resumeHint);
    if (epilogue && completed) epilogue(result, &out);
    std::cout << out.dump(2) << "\n";
  } else if (result.status != RunResult::Status::Failed) {
    printTable(result);
    std::cout << "run directory: " << result.runDir << "\n";
    if (epilogue && completed) epilogue(result, nullptr);
  }
  if (result.status == RunResult::Status::Failed) return kExitFailed;
  return result.status == RunResult::Status::Cancelled ? kExitInterrupted : kExitOk;
}

struct RunRequest {
  ExperimentInput input;
  std::string outDir;
  std::string resumeDir;
  std::string reproduceDir;
  int threads = 0;
  GroupRequest group;
  bool json = false;
};

/// `run --reproduce RUNDIR`: the finished run again from its config.yaml, into a new folder, and
/// what came out the same.
int reproduceCommand(const RunRequest& request) {
  if (!request.input.overrides.empty()) {
    std::cerr << "error: --reproduce reruns the run's own settings; --set does not apply\n";
    return kExitBadInput;
  }
  const std::string original = request.reproduceDir;
  std::string status;
  try {
    status = readRunSummary(original).status;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitBadInput;
  }
  if (status != "completed") {
    std::cerr << "error: " << original << " is " << status << ": only a completed run can be reproduced\n";
    return kExitBadInput;
  }
  const std::string file = (std::filesystem::path(original) / "config.yaml").string();
  auto loaded = loadExperimentFile(file);
  if (!loaded.ok()) return reportProblems(file, loaded);
  RunOptions options = optionsFor(request.group);
  options.outDir = request.outDir;
  options.experimentFile = file;
  return runWithConsole(
      [&](RunObserver& observer, RunControl& control) {
        return runExperiment(loaded.config, options, observer, control);
      },
      request.json,
      [&](const RunResult& result, Json* out) {
        const auto report = reproductionReport(original, result);
        if (out)
          (*out)["reproduction"] = report;
        else
          printReproduction(report);
      });
}

int runCommand(const RunRequest& request) {
  if (!request.resumeDir.empty()) {
    if (!request.input.overrides.empty() || !request.outDir.empty() || request.threads > 0) {
      std::cerr << "error: --resume continues with the run's own settings; --set, --out and --threads do not "
                   "apply\n";
      return kExitBadInput;
    }
    RunOptions options = optionsFor(request.group);
    if (options.distributed.active() && options.distributed.rank != 0) return workerCommand(request.group);
    return runWithConsole(
        [&](RunObserver& observer, RunControl& control) {
          return resumeExperiment(request.resumeDir, options, observer, control);
        },
        request.json);
  }
  if (!request.reproduceDir.empty()) return reproduceCommand(request);
  if (request.input.file.empty()) {
    std::cerr << "error: run needs an experiment file, --resume RUNDIR or --reproduce RUNDIR\n";
    return kExitBadInput;
  }
  auto loaded = loadExperimentFile(request.input.file, request.input.overrides);
  if (!loaded.ok()) {
    if (request.json)
      std::cout << Json{{"status", "invalid"},
                        {"problems", problemsJson(request.input.file, loaded.problems)}}
                       .dump(2)
                << "\n";
    return reportProblems(request.input.file, loaded);
  }
  if (request.threads > 0) loaded.config.train.threads = request.threads;
  RunOptions options = optionsFor(request.group);
  // Under torchrun every rank runs this command; the others follow rank 0's settings.
  if (options.distributed.active() && options.distributed.rank != 0) return workerCommand(request.group);
  options.outDir = request.outDir;
  options.experimentFile = request.input.file;
  return runWithConsole(
      [&](RunObserver& observer, RunControl& control) {
        return runExperiment(loaded.config, options, observer, control);
      },
      request.json);
}

struct RunsRequest {
  std::string root = "runs";
  bool json = false;
};

/// `distill runs`: every run folder under a root with its key facts, newest first.
int runsCommand(const RunsRequest& request) {
  const auto runs = listRuns(request.root);
  if (request.json) {
    Json list = Json::array();
    for (const auto& run : runs) {
      Json models = Json::array();
      for (const auto& m : run.models) {
        models.push_back({{"name", m.name},
                          {"role", roleName(m.role)},
                          {"trained", m.trained},
                          {"val_loss", finiteOrNull(m.valLoss)}});
        if (m.repeats.size() >= 2) {
          models.back()["val_loss_sd"] = finiteOrNull(spreadOf(m.repeats, &RepeatOutcome::valLoss).sd);
          models.back()["repeats"] = m.repeats.size();
        }
      }
      Json comparisons = Json::array();
      for (const auto& pair : twinPairs(run.models)) comparisons.push_back(comparisonJson(pair));
      Json provenance = Json::object();
      for (const auto& f : run.provenance) provenance[f.key] = f.value;
      list.push_back({{"dir", run.dir},
                      {"provenance", provenance},
                      {"sweep", run.sweep.empty() ? Json() : Json(run.sweep)},
                      {"tags", run.notes.tags},
                      {"note", run.notes.note},
                      {"status", run.status},
                      {"modified", run.modified},
                      {"disk_bytes", run.diskBytes},
                      {"models", models},
                      {"comparisons", comparisons}});
    }
    std::cout << list.dump(2) << "\n";
    return kExitOk;
  }
  std::printf("%-44s %-10s %-16s %9s  %-28s %s\n", "run", "status", "modified", "size",
              "host, build / libtorch, seed", "distilled - scratch (val loss; over repeats: mean, verdict)");
  for (const auto& run : runs) {
    std::string gains;
    for (const auto& pair : twinPairs(run.models)) {
      if (!gains.empty()) gains += ", ";
      gains += pair.student + " " + cell(pair.comparison.delta, 0, 4);
      if (pair.paired.pairs >= 2)
        gains += " (" + std::to_string(pair.paired.pairs) + " seeds: " + twinVerdict(pair) + ")";
    }
    char size[32];
    std::snprintf(size, sizeof size, "%.1f MB", static_cast<double>(run.diskBytes) / 1e6);
    // A sweep's trials carry the sweep's name (every sweep has a trial-000).
    std::string name = std::filesystem::path(run.dir).filename().string();
    if (!run.sweep.empty()) name = std::filesystem::path(run.sweep).filename().string() + "/" + name;
    // The key facts of run.json (a run older than it shows "-").
    const auto fact = [&](const char* key) {
      const std::string v = provenanceValue(run.provenance, key);
      return v.empty() ? std::string("-") : v;
    };
    const std::string made = run.provenance.empty()
                                 ? std::string("-")
                                 : fact("machine.host") + ", " + fact("build.version") + " / " +
                                       fact("build.libtorch") + ", " + fact("seed");
    std::printf("%-44s %-10s %-16s %9s  %-28s %s\n", name.c_str(), run.status.c_str(), run.modified.c_str(),
                size, made.c_str(), gains.c_str());
  }
  std::fprintf(stderr, "%zu runs in %s\n", runs.size(), request.root.c_str());
  return kExitOk;
}

}  // namespace

void addExperimentCommands(CLI::App& app, Commands& commands) {
  auto validation = std::make_shared<ExperimentInput>();
  auto validateJson = std::make_shared<bool>(false);
  auto* validate =
      app.add_subcommand("validate", "Check an experiment file (with any --set); one line per problem");
  addExperimentInput(validate, *validation, true);
  validate->add_flag("--json", *validateJson,
                     "Print {file, valid, students, problems: [{file, key, line, column, message}]}");
  validate->footer(examples({"distill validate experiments/shakespeare_char.yaml",
                             "distill validate exp.yaml --set train.lr=3e-4 --json"}));
  commands.add(validate, [validation, validateJson] { return validateCommand(*validation, *validateJson); });

  auto request = std::make_shared<RunRequest>();
  auto* run =
      app.add_subcommand("run", "Train the teacher, then distill every student beside its scratch twin");
  addExperimentInput(run, request->input, false);
  auto* resume = run->add_option("--resume", request->resumeDir,
                                 "Continue a stopped, failed or killed run from its last checkpoint")
                     ->check(CLI::ExistingDirectory);
  run->get_option("file")->excludes(resume);
  auto* reproduce =
      run->add_option("--reproduce", request->reproduceDir,
                      "Rerun a finished run from its config.yaml into a new folder and report what matches")
          ->check(CLI::ExistingDirectory);
  run->get_option("file")->excludes(reproduce);
  resume->excludes(reproduce);
  run->add_option("--out", request->outDir, "Run directory (default runs/<experiment>-<timestamp>)");
  run->add_option("--threads", request->threads,
                  "Intra-op threads per process (default: its share of the cores)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--nproc", request->group.processes,
                  "Data-parallel processes on this machine (overrides train.processes)")
      ->check(CLI::Range(1, 256));
  run->add_option(
         "--dist-timeout", request->group.timeoutSeconds,
         "Seconds a rank waits for the others before the run fails (default 60; DISTILL_DIST_TIMEOUT)")
      ->check(CLI::Range(1.0, 86400.0));
  run->add_flag("--json", request->json,
                "Progress to stderr; stdout: one JSON object {status, run_dir, summary, comparisons}");
  run->footer(examples(
      {"distill run experiments/shakespeare_char.yaml --set train.steps=200 --set train.student_steps=200",
       "distill run --resume runs/shakespeare_char-20261203-101500",
       "distill run --reproduce runs/shakespeare_char-20261203-101500"}));
  commands.add(run, [request] { return runCommand(*request); });

  auto runsRequest = std::make_shared<RunsRequest>();
  auto* runs =
      app.add_subcommand("runs", "List the runs under a folder, newest first: status, date, size, gains");
  runs->add_option("root", runsRequest->root, "Folder of run directories (default runs)")
      ->check(CLI::ExistingDirectory);
  runs->add_flag(
      "--json", runsRequest->json,
      "Print a JSON list: dir, sweep, tags, note, status, modified, disk_bytes, models, comparisons");
  runs->footer(examples({"distill runs", "distill runs /data/sweeps/lstm --json"}));
  commands.add(runs, [runsRequest] { return runsCommand(*runsRequest); });

  auto* worker =
      app.add_subcommand("worker",
                         "A data-parallel rank other than 0 (started by distill run --nproc, or by torchrun "
                         "with RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT set)");
  worker->add_option("--dist-timeout", request->group.timeoutSeconds, "Seconds to wait for the other ranks")
      ->check(CLI::Range(1.0, 86400.0));
  worker->footer(examples({"RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 distill worker"}));
  commands.add(worker, [request] { return workerCommand(request->group); });
}

}  // namespace distill::cli
