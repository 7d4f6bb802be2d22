// `distill`: the headless front end. Every command is a thin call into the engine.

#include <CLI/CLI.hpp>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <thread>

#include "console_reporter.h"
#include "distill/bench.h"
#include "distill/config.h"
#include "distill/distributed.h"
#include "distill/errors.h"
#include "distill/experiment.h"
#include "distill/generation.h"
#include "distill/pretrained.h"
#include "distill/run_reader.h"
#include "distill/tokenizers.h"
#include "distill/twin_comparison.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitInvalid = 2;
constexpr int kExitCancelled = 130;

// Signal handlers may only touch lock-free atomics; a watcher thread turns the flag into cancel().
std::atomic<bool> g_interrupted{false};

void onInterrupt(int) { g_interrupted = true; }

int reportProblems(const std::string& file, const distill::ConfigLoadResult& loaded) {
  for (const auto& problem : loaded.problems) std::cerr << problem.toString(file) << "\n";
  return kExitInvalid;
}

void printTable(const distill::RunResult& result) {
  std::printf("\n%-22s %-11s %9s %9s %11s %10s %10s %10s %12s %9s\n", "model", "arch", "params", "val_loss",
              "perplexity", "agreement", "kl_teacher", "gen_tok/s", "recompute/s", "vs_teacher");
  // A number that was not measured (an untrained student, generation speed of a stopped run) is "-".
  auto cell = [](double v, int width, int decimals, const char* suffix = "") {
    char text[48];
    if (std::isfinite(v))
      std::snprintf(text, sizeof text, "%*.*f%s", width, decimals, v, suffix);
    else
      std::snprintf(text, sizeof text, "%*s%*s", width, "-", static_cast<int>(std::strlen(suffix)), "");
    return std::string(text);
  };
  for (const auto& m : result.models) {
    std::printf("%-22s %-11s %9lld %s %s %s %s %s %s %s%s\n", m.name.c_str(), m.arch.c_str(), m.params,
                cell(m.valLoss, 9, 4).c_str(), cell(m.valPerplexity, 11, 3).c_str(),
                cell(m.agreement, 10, 3).c_str(), cell(m.klFromTeacher, 10, 4).c_str(),
                cell(m.genTokensPerSecond, 10, 0).c_str(), cell(m.genRecomputeTokensPerSecond, 12, 0).c_str(),
                cell(m.genSpeedupVsTeacher, 8, 2, "x").c_str(), m.trained ? "" : "  not trained");
  }
  // The point of the run: does distillation beat the same student trained from scratch?
  for (const auto& pair : distill::twinPairs(result.models)) {
    const auto& c = pair.comparison;
    if (c.verdict == distill::TwinComparison::Verdict::NotMeasured) {
      std::printf("%s: not trained (the run stopped before the students' phase)\n", pair.student.c_str());
      continue;
    }
    std::printf("%s: distilled %.4f vs scratch %.4f val loss (%+.4f, %s)\n", pair.student.c_str(),
                pair.distilled->valLoss, pair.scratch->valLoss, c.delta,
                distill::verdictText(c.verdict).c_str());
  }
}

/// Runs `start` (a new run or a resumed one) with Ctrl-C / SIGTERM stopping it cleanly.
int runWithConsole(const std::function<distill::RunResult(distill::RunObserver&, distill::RunControl&)>& start) {
  distill::RunControl control;
  std::signal(SIGINT, onInterrupt);
  std::signal(SIGTERM, onInterrupt);
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done) {
      if (g_interrupted) {
        std::cerr << "\ninterrupted: stopping after the current step and saving checkpoints\n";
        control.cancel();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  distill::ConsoleReporter reporter(std::cout);
  const auto result = start(reporter, control);
  done = true;
  watcher.join();

  if (result.status == distill::RunResult::Status::Failed) {
    std::cerr << "error: " << result.error << "\n";
    // Whatever stopped it, the last resumable checkpoint is still there.
    if (!result.runDir.empty()) {
      if (const auto point = distill::findResumePoint(result.runDir))
        std::cerr << "the last good checkpoint is " << point->phase << " step " << point->step
                  << ": distill run --resume " << result.runDir << (result.worldSize > 1 ? " --nproc " + std::to_string(result.worldSize) : std::string())
                  << "\n";
    }
    return kExitFailure;
  }
  printTable(result);
  std::cout << "run directory: " << result.runDir << "\n";
  return result.status == distill::RunResult::Status::Cancelled ? kExitCancelled : kExitOk;
}

/// This program's own path: local data-parallel workers are started from it.
std::string ownExecutable() {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : path.string();
}

/// How this process takes part in data-parallel training: `--nproc` (local workers it starts), or
/// the torchrun / Slurm environment (RANK, WORLD_SIZE, ...).
struct GroupRequest {
  int processes = 0;           ///< --nproc; 0: train.processes
  double timeoutSeconds = 0;   ///< --dist-timeout; 0: DISTILL_DIST_TIMEOUT or 60 s
};

distill::RunOptions optionsFor(const GroupRequest& request) {
  distill::RunOptions options;
  options.processes = request.processes;
  if (auto fromEnvironment = distill::distributedFromEnvironment()) options.distributed = *fromEnvironment;
  if (request.timeoutSeconds > 0) options.distributed.timeoutSeconds = request.timeoutSeconds;
  options.distributed.workerExecutable = ownExecutable();
  return options;
}

/// A rank other than 0: trains its shard of rank 0's run and reports only failures.
int workerCommand(const GroupRequest& request) {
  auto distributed = distill::distributedFromEnvironment();
  if (!distributed || !distributed->active() || distributed->rank == 0) {
    std::cerr << "error: a worker needs RANK (1 or more) and WORLD_SIZE (2 or more), MASTER_ADDR and MASTER_PORT "
                 "(distill run --nproc N or torchrun set them)\n";
    return kExitInvalid;
  }
  if (request.timeoutSeconds > 0) distributed->timeoutSeconds = request.timeoutSeconds;
  std::signal(SIGINT, SIG_IGN);  // Ctrl-C reaches the whole terminal; rank 0 decides and tells every rank
  distill::RunObserver quiet;
  const auto result = distill::runWorker(*distributed, quiet);
  if (result.status == distill::RunResult::Status::Failed) {
    std::cerr << "error: " << result.error << "\n";
    return kExitFailure;
  }
  return result.status == distill::RunResult::Status::Cancelled ? kExitCancelled : kExitOk;
}

int runCommand(const std::string& file, const std::vector<std::string>& overrides, const std::string& outDir,
               int threads, const GroupRequest& group) {
  auto loaded = distill::loadExperimentFile(file, overrides);
  if (!loaded.ok()) return reportProblems(file, loaded);
  if (threads > 0) loaded.config.train.threads = threads;
  distill::RunOptions options = optionsFor(group);
  // Under torchrun every rank runs this command; the others follow rank 0's settings.
  if (options.distributed.active() && options.distributed.rank != 0) return workerCommand(group);
  options.outDir = outDir;
  return runWithConsole([&](distill::RunObserver& observer, distill::RunControl& control) {
    return distill::runExperiment(loaded.config, options, observer, control);
  });
}

int resumeCommand(const std::string& runDir, const GroupRequest& group) {
  distill::RunOptions options = optionsFor(group);
  if (options.distributed.active() && options.distributed.rank != 0) return workerCommand(group);
  return runWithConsole([&](distill::RunObserver& observer, distill::RunControl& control) {
    return distill::resumeExperiment(runDir, options, observer, control);
  });
}

std::string joinIds(const std::vector<long long>& ids) {
  std::string line;
  for (const auto id : ids) line += (line.empty() ? "" : " ") + std::to_string(id);
  return line;
}

struct GenerateRequest {
  std::string modelPath;  ///< checkpoint or Hugging Face folder
  std::string prompt;
  std::vector<long long> ids;  ///< instead of a text prompt
  bool printIds = false;
};

int generateCommand(const GenerateRequest& request, const distill::SamplingOptions& options) {
  distill::TextGenerator generator(request.modelPath);
  if (!request.ids.empty()) {
    const auto ids = generator.generateIds(request.ids, options);
    std::cout << joinIds(ids) << std::endl;
    return kExitOk;
  }
  const auto result = generator.generate(request.prompt, options);
  if (request.printIds) {
    std::cout << joinIds(result.ids) << std::endl;
  } else {
    std::cout << request.prompt << result.text << std::endl;
  }
  std::cerr << result.ids.size() << " tokens, " << static_cast<long>(result.tokensPerSecond) << " tokens/s\n";
  return kExitOk;
}

int inspectCommand(const std::string& dir) {
  const auto info = distill::inspectPretrainedModel(dir);
  std::printf("model_type:   %s (runs as %s)\n", info.modelType.c_str(), info.arch.c_str());
  std::printf("parameters:   %lld\n", info.parameters);
  std::printf("layers:       %d\nheads:        %d (key/value heads %d)\nwidth:        %d (MLP %d)\n", info.layers,
              info.heads, info.kvHeads, info.embd, info.mlp);
  std::printf("vocabulary:   %lld\ncontext:      %lld\nhead:         %s\n", info.vocabSize, info.contextLength,
              info.tiedHead ? "tied to the token embeddings" : "untied");
  if (info.ropeTheta > 0.0) std::printf("rope_theta:   %g\n", info.ropeTheta);
  std::string dtypes;
  for (const auto& [dtype, count] : info.dtypeParameters) dtypes += (dtypes.empty() ? "" : ", ") + dtype + " " + std::to_string(count);
  std::printf("stored:       %s (computed in float32)\ntokenizer:    %s\n", dtypes.c_str(), info.tokenizer.c_str());
  return kExitOk;
}

int logitsCommand(const std::string& modelPath, const std::vector<long long>& ids, bool all) {
  distill::TextGenerator model(modelPath);
  const auto rows = model.logits(ids);
  // %.9g gives every float32 back exactly.
  for (size_t t = all ? 0 : rows.size() - 1; t < rows.size(); ++t) {
    std::string line;
    char value[32];
    for (const float v : rows[t]) {
      std::snprintf(value, sizeof value, "%.9g", static_cast<double>(v));
      line += (line.empty() ? "" : " ") + std::string(value);
    }
    std::printf("%s\n", line.c_str());
  }
  return kExitOk;
}

/// One JSON line, keys as the Python peer prints them, so the two outputs compare line by line.
int benchCommand(const distill::BenchOptions& options) {
  const auto r = distill::runTrainingBench(options);
  std::printf("{\"config\": \"%s\", \"device\": \"%s\", \"engine\": \"distill (LibTorch %s)\", \"threads\": %d, "
              "\"steps\": %d, \"teacher_params\": %lld, \"student_params\": %lld, \"teacher_train_tok_s\": %.1f, "
              "\"student_kd_tok_s\": %.1f, \"teacher_train_gflops\": %.1f, \"matmul_peak_gflops\": %.1f, "
              "\"teacher_fraction_of_peak\": %.3f}\n",
              r.config.c_str(), r.device.c_str(), r.torchVersion.c_str(), r.threads, options.steps, r.teacherParams,
              r.studentParams, r.teacherTrainTokensPerSecond, r.studentKdTokensPerSecond, r.teacherTrainGflops,
              r.matmulPeakGflops, r.matmulPeakGflops > 0.0 ? r.teacherTrainGflops / r.matmulPeakGflops : 0.0);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"distill: knowledge distillation of language models (headless runner)"};
  app.require_subcommand(1);

  std::string file;
  auto* validate = app.add_subcommand("validate", "Check an experiment file; one line per problem");
  validate->add_option("file", file, "Experiment YAML")->required();

  std::vector<std::string> overrides;
  std::string outDir;
  int threads = 0;
  auto* run = app.add_subcommand("run", "Train the teacher, then distill every student beside its scratch twin");
  std::string resumeDir;
  auto* fileOption = run->add_option("file", file, "Experiment YAML");
  auto* resumeOption = run->add_option("--resume", resumeDir, "Continue a stopped, failed or killed run from its last checkpoint")
                           ->check(CLI::ExistingDirectory);
  fileOption->excludes(resumeOption);
  run->add_option("--set", overrides, "Override a key: --set train.steps=30 (repeatable)");
  run->add_option("--out", outDir, "Run directory (default runs/<experiment>-<timestamp>)");
  run->add_option("--threads", threads, "Intra-op threads per process (default: its share of the cores)")->check(CLI::NonNegativeNumber);
  GroupRequest group;
  run->add_option("--nproc", group.processes, "Data-parallel processes on this machine (overrides train.processes)")
      ->check(CLI::Range(1, 256));
  run->add_option("--dist-timeout", group.timeoutSeconds,
                  "Seconds a rank waits for the others before the run fails (default 60; DISTILL_DIST_TIMEOUT)")
      ->check(CLI::Range(1.0, 86400.0));
  auto* worker = app.add_subcommand("worker", "A data-parallel rank other than 0 (started by distill run --nproc, or by torchrun "
                                              "with RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT set)");
  worker->add_option("--dist-timeout", group.timeoutSeconds, "Seconds to wait for the other ranks")->check(CLI::Range(1.0, 86400.0));

  std::string runDir, model;
  GenerateRequest request;
  distill::SamplingOptions sampling;
  auto* generate = app.add_subcommand("generate", "Continue a prompt with a model of a run, a checkpoint or a Hugging Face folder");
  generate->add_option("rundir", runDir, "Run directory (then --model names one of its models)")->check(CLI::ExistingDirectory);
  generate->add_option("--model", model, "In a run: teacher, <student>-kd or <student>-scratch; else a Hugging Face folder or .pt")
      ->required();
  auto* promptOption = generate->add_option("--prompt", request.prompt, "Text to continue");
  auto* idsOption = generate->add_option("--ids", request.ids, "Token ids to continue, e.g. 3,1,4")->delimiter(',');
  promptOption->excludes(idsOption);
  generate->add_flag("--print-ids", request.printIds, "Print the new token ids (one line, separated by spaces)");
  generate->add_option("--max-new-tokens", sampling.maxNewTokens, "Tokens to generate")
      ->check(CLI::Range(0, 100000));
  generate->add_option("--temperature", sampling.temperature, "Softmax temperature (0: greedy)")
      ->check(CLI::NonNegativeNumber);
  generate->add_option("--top-k", sampling.topK, "Keep the k most likely tokens (0: off)")
      ->check(CLI::NonNegativeNumber);
  generate->add_option("--top-p", sampling.topP, "Nucleus sampling mass (1: off)")->check(CLI::Range(1e-6, 1.0));
  generate->add_option("--seed", sampling.seed, "Sampling seed");
  generate->add_flag("--greedy", sampling.greedy, "Always take the most likely token");

  std::string modelDir;
  auto* inspect = app.add_subcommand("inspect", "Describe a Hugging Face model folder (architecture, parameters, dtypes)");
  inspect->add_option("model_dir", modelDir, "Folder with config.json and model.safetensors")->required()->check(CLI::ExistingDirectory);

  std::vector<long long> ids;
  bool allPositions = false;
  auto* logits = app.add_subcommand("logits", "Print a model's next-token logits for token ids");
  logits->add_option("model", modelDir, "Hugging Face folder or checkpoint (.pt)")->required()->check(CLI::ExistingPath);
  logits->add_option("--ids", ids, "Token ids, e.g. 3,1,4")->required()->delimiter(',');
  logits->add_flag("--all", allPositions, "One line per position instead of the last one only");

  std::string tokenizerPath, text;
  auto* tokenize = app.add_subcommand("tokenize", "Print the token ids of a text");
  tokenize->add_option("--tokenizer", tokenizerPath, "Tokenizer folder or file")->required()->check(CLI::ExistingPath);
  tokenize->add_option("--text", text, "Text to encode")->required();

  std::string checkpoint, exportDir;
  auto* exportHf = app.add_subcommand("export-hf", "Write a run's checkpoint as a Hugging Face folder (config.json, model.safetensors, tokenizer)");
  exportHf->add_option("checkpoint", checkpoint, "A .pt of a run (runs/<run>/checkpoints/teacher.pt)")->required()->check(CLI::ExistingFile);
  exportHf->add_option("--out", exportDir, "Folder to write")->required();

  distill::TokenizerTrainingOptions training;
  auto* trainTok = app.add_subcommand("train-tokenizer", "Train a byte-level BPE or SentencePiece tokenizer on a corpus");
  trainTok->add_option("--corpus", training.corpus, "UTF-8 text file")->required()->check(CLI::ExistingFile);
  trainTok->add_option("--kind", training.kind, "bpe or sentencepiece")->check(CLI::IsMember({"bpe", "sentencepiece"}));
  trainTok->add_option("--vocab-size", training.vocabSize, "Tokens in the vocabulary")->check(CLI::Range(257, 1000000));
  trainTok->add_option("--out", training.outDir, "Output folder (use it as data.tokenizer)")->required();

  distill::BenchOptions bench;
  auto* benchCmd = app.add_subcommand("bench", "Time teacher training and student KD steps on the Python peer's shapes");
  benchCmd->add_option("--config", bench.config, "small or nanogpt")->check(CLI::IsMember({"small", "nanogpt", "wide"}));
  benchCmd->add_option("--steps", bench.steps, "Timed steps per figure (after 3 warm-up steps)")->check(CLI::Range(1, 100000));
  benchCmd->add_option("--threads", bench.threads, "Threads (default: one per core)")->check(CLI::NonNegativeNumber);
  benchCmd->add_option("--device", bench.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (*validate) {
      const auto loaded = distill::loadExperimentFile(file);
      if (!loaded.ok()) return reportProblems(file, loaded);
      std::cout << file << ": valid (" << loaded.config.students.size() << " students)\n";
      return kExitOk;
    }
    if (*run) {
      if (!resumeDir.empty()) {
        if (!overrides.empty() || !outDir.empty() || threads > 0) {
          std::cerr << "error: --resume continues with the run's own settings; --set, --out and --threads do not apply\n";
          return kExitInvalid;
        }
        return resumeCommand(resumeDir, group);
      }
      if (file.empty()) {
        std::cerr << "error: run needs an experiment file or --resume RUNDIR\n";
        return kExitInvalid;
      }
      return runCommand(file, overrides, outDir, threads, group);
    }
    if (*worker) return workerCommand(group);
    if (*benchCmd) return benchCommand(bench);
    if (*inspect) return inspectCommand(modelDir);
    if (*exportHf) {
      std::cout << distill::exportCheckpointToHuggingFace(checkpoint, exportDir) << std::endl;
      return kExitOk;
    }
    if (*logits) return logitsCommand(modelDir, ids, allPositions);
    if (*tokenize) {
      std::cout << joinIds(distill::tokenizeText(tokenizerPath, text)) << std::endl;
      return kExitOk;
    }
    if (*trainTok) {
      int lastPercent = -10;
      training.progress = [&](double fraction) {
        const int percent = static_cast<int>(fraction * 100.0);
        if (percent >= lastPercent + 10) {
          std::cerr << "training tokenizer: " << percent << "%\n";
          lastPercent = percent;
        }
        return !g_interrupted.load();
      };
      std::signal(SIGINT, onInterrupt);
      const auto r = distill::trainTokenizer(training);
      std::printf("%s tokenizer, %lld tokens, written to %s\ncorpus: %lld bytes -> %lld tokens (%.2f bytes per token)\n",
                  training.kind.c_str(), r.vocabSize, r.path.c_str(), r.corpusBytes, r.corpusTokens,
                  r.corpusTokens > 0 ? static_cast<double>(r.corpusBytes) / static_cast<double>(r.corpusTokens) : 0.0);
      return kExitOk;
    }
    if (*generate) {
      if (request.prompt.empty() && request.ids.empty()) {
        std::cerr << "error: give --prompt TEXT or --ids 3,1,4\n";
        return kExitInvalid;
      }
      if (runDir.empty()) {
        request.modelPath = model;
        return generateCommand(request, sampling);
      }
      const auto models = distill::modelsInRun(runDir);
      if (std::find(models.begin(), models.end(), model) == models.end()) {
        std::string list;
        for (const auto& m : models) list += (list.empty() ? "" : ", ") + m;
        std::cerr << "error: no model '" << model << "' in " << runDir << " (models: " << (list.empty() ? "none" : list)
                  << ")\n";
        return kExitInvalid;
      }
      request.modelPath = distill::checkpointPathFor(runDir, model);
      return generateCommand(request, sampling);
    }
  } catch (const distill::EngineError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    std::string message = e.what();
    std::cerr << "error: " << message.substr(0, message.find('\n')) << "\n";
    return kExitFailure;
  }
  return kExitOk;
}
