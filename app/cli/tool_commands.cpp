// train-tokenizer, bench and schema.

#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.h"
#include "distill/bench.h"
#include "distill/config_schema.h"
#include "distill/report.h"
#include "distill/tensorboard.h"
#include "distill/tokenizers.h"
#include "exit_codes.h"
#include "interrupt.h"

namespace distill::cli {

namespace {

int trainTokenizerCommand(TokenizerTrainingOptions training) {
  int lastPercent = -10;
  training.progress = [&](double fraction) {
    const int percent = static_cast<int>(fraction * 100.0);
    if (percent >= lastPercent + 10) {
      std::cerr << "training tokenizer: " << percent << "%\n";
      lastPercent = percent;
    }
    return !interrupted();
  };
  catchInterrupts();
  const auto r = trainTokenizer(training);
  std::printf(
      "%s tokenizer, %lld tokens, written to %s\ncorpus: %lld bytes -> %lld tokens (%.2f bytes per token)\n",
      training.kind.c_str(), r.vocabSize, r.path.c_str(), r.corpusBytes, r.corpusTokens,
      r.corpusTokens > 0 ? static_cast<double>(r.corpusBytes) / static_cast<double>(r.corpusTokens) : 0.0);
  return kExitOk;
}

/// One JSON line, keys as the Python peer prints them, so the two outputs compare line by line.
int benchCommand(const BenchOptions& options) {
  const auto r = runTrainingBench(options);
  std::printf(
      "{\"config\": \"%s\", \"device\": \"%s\", \"engine\": \"distill (LibTorch %s)\", \"threads\": %d, "
      "\"steps\": %d, \"teacher_params\": %lld, \"student_params\": %lld, \"teacher_train_tok_s\": %.1f, "
      "\"student_kd_tok_s\": %.1f, \"teacher_train_gflops\": %.1f, \"matmul_peak_gflops\": %.1f, "
      "\"teacher_fraction_of_peak\": %.3f}\n",
      r.config.c_str(), r.device.c_str(), r.torchVersion.c_str(), r.threads, options.steps, r.teacherParams,
      r.studentParams, r.teacherTrainTokensPerSecond, r.studentKdTokensPerSecond, r.teacherTrainGflops,
      r.matmulPeakGflops, r.matmulPeakGflops > 0.0 ? r.teacherTrainGflops / r.matmulPeakGflops : 0.0);
  return kExitOk;
}

}  // namespace

void addToolCommands(CLI::App& app, Commands& commands) {
  auto training = std::make_shared<TokenizerTrainingOptions>();
  auto* trainTok =
      app.add_subcommand("train-tokenizer", "Train a byte-level BPE or SentencePiece tokenizer on a corpus");
  trainTok->add_option("--corpus", training->corpus, "UTF-8 text file")->required()->check(CLI::ExistingFile);
  trainTok->add_option("--kind", training->kind, "bpe or sentencepiece")
      ->check(CLI::IsMember({"bpe", "sentencepiece"}));
  trainTok->add_option("--vocab-size", training->vocabSize, "Tokens in the vocabulary")
      ->check(CLI::Range(257, 1000000));
  trainTok->add_option("--out", training->outDir, "Output folder (use it as data.tokenizer)")->required();
  trainTok->footer(
      examples({"distill train-tokenizer --corpus resources/data/tinyshakespeare.txt --vocab-size 512 "
                "--out tok/bpe512"}));
  commands.add(trainTok, [training] { return trainTokenizerCommand(*training); });

  auto bench = std::make_shared<BenchOptions>();
  auto* benchCmd =
      app.add_subcommand("bench", "Time teacher training and student KD steps on the Python peer's shapes");
  benchCmd->add_option("--config", bench->config, "small, nanogpt or wide")
      ->check(CLI::IsMember({"small", "nanogpt", "wide"}));
  benchCmd->add_option("--steps", bench->steps, "Timed steps per figure (after 3 warm-up steps)")
      ->check(CLI::Range(1, 100000));
  benchCmd->add_option("--threads", bench->threads, "Threads (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  benchCmd->add_option("--device", bench->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  benchCmd->footer(
      examples({"distill bench --config small --steps 20", "distill bench --config nanogpt --device cuda"}));
  commands.add(benchCmd, [bench] { return benchCommand(*bench); });

  auto markdown = std::make_shared<bool>(false);
  auto* schemaCmd =
      app.add_subcommand("schema", "List every experiment key: type, default, allowed values, meaning");
  schemaCmd->add_flag("--markdown", *markdown, "As the Markdown table of experiments/README.md");
  schemaCmd->footer(examples({"distill schema", "distill schema --markdown"}));
  commands.add(schemaCmd, [markdown] {
    if (*markdown) {
      std::cout << schemaMarkdownTable();
      return kExitOk;
    }
    for (const auto& key : experimentSchema()) {
      const auto allowed = key.allowed();
      std::cout << key.path << " (" << key.type << ", default "
                << (key.defaultValue.empty() ? "empty" : key.defaultValue)
                << (allowed.empty() ? "" : ", " + allowed) << "): " << key.doc << "\n";
    }
    return kExitOk;
  });

  auto report = std::make_shared<std::pair<std::string, std::string>>();  // run folder, output file
  auto* reportCmd = app.add_subcommand(
      "report",
      "Write one self-contained HTML file about a run: settings, provenance, results, curves, samples");
  reportCmd->add_option("rundir", report->first, "Run directory")->required()->check(CLI::ExistingDirectory);
  reportCmd->add_option("--out", report->second, "HTML file (default <rundir>/report.html)");
  reportCmd->footer(examples(
      {"distill report runs/shakespeare_char-20261203-101500", "distill report runs/x --out x.html"}));
  commands.add(reportCmd, [report] {
    const std::string out = report->second.empty() ? report->first + "/report.html" : report->second;
    ReportOptions options;
    options.progress = [](const std::string& what) { std::cerr << what << "\n"; };
    try {
      writeRunReport(report->first, out, options);
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << "\n";
      return kExitBadInput;
    }
    std::cout << out << "\n";
    return kExitOk;
  });

  auto eventsDir = std::make_shared<std::string>();
  auto* exportTb = app.add_subcommand(
      "export-tb", "Write a run folder's TensorBoard event file from its metrics, samples and settings");
  exportTb->add_option("rundir", *eventsDir, "Run directory")->required()->check(CLI::ExistingDirectory);
  exportTb->footer(
      examples({"distill export-tb runs/shakespeare_char-20261203-101500", "tensorboard --logdir runs"}));
  commands.add(exportTb, [eventsDir] {
    try {
      std::cout << exportTensorBoard(*eventsDir) << "\n";
      return kExitOk;
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << "\n";
      return kExitBadInput;
    }
  });
}

}  // namespace distill::cli
