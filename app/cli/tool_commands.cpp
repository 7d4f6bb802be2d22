// train-tokenizer, prepare, bench and schema.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.h"
#include "distill/bench.h"
#include "distill/config_schema.h"
#include "distill/duration.h"
#include "distill/experiment.h"
#include "distill/model_info.h"
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

struct PrepareOptions {
  DataConfig data;
  CorpusOptions corpus;
};

/// "tokenizing  42% [########            ] 420 MB of 1000 MB · 31.2 MB/s · ETA 18s", redrawn in place.
void drawPrepareProgress(const CorpusProgress& p, std::chrono::steady_clock::time_point start) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double fraction =
      p.totalBytes > 0 ? static_cast<double>(p.doneBytes) / static_cast<double>(p.totalBytes) : 1.0;
  const double rate = seconds > 0 ? static_cast<double>(p.doneBytes) / seconds : 0.0;
  const int filled = static_cast<int>(fraction * 20.0);
  const std::string bar =
      std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(20 - filled), ' ');
  const std::string eta =
      rate > 0 ? formatDuration(static_cast<double>(p.totalBytes - p.doneBytes) / rate) : "?";
  std::fprintf(stderr, "\r%-20s %3d%% [%s] %lld MB of %lld MB · %.1f MB/s · ETA %s   ", p.stage.c_str(),
               static_cast<int>(fraction * 100.0), bar.c_str(), p.doneBytes / 1000000, p.totalBytes / 1000000,
               rate / 1e6, eta.c_str());
}

int prepareCommand(PrepareOptions options) {
  // Each pass has its own rate and ETA, timed from the end of the pass before.
  auto start = std::chrono::steady_clock::now(), last = start;
  std::string stage;
  bool drew = false;
  options.corpus.progress = [&](const CorpusProgress& p) {
    if (p.stage != stage) {
      if (drew) std::fputc('\n', stderr);
      stage = p.stage;
      start = last;
    }
    drawPrepareProgress(p, start);
    last = std::chrono::steady_clock::now();
    drew = true;
  };
  const auto info = inspectCorpus(options.data, {}, options.corpus);
  if (drew) std::fputc('\n', stderr);
  std::printf(
      "%s %s: %lld bytes, %lld document(s) -> %lld tokens (%s tokenizer, vocabulary %lld) in %.2f s\n"
      "cache: %s\n",
      info.reusedCache ? "opened the token cache of" : "tokenized", options.data.corpus.c_str(), info.bytes,
      info.documents, info.trainTokens + info.valTokens, info.tokenizerKind.c_str(), info.vocabSize,
      info.seconds, info.cachePath.c_str());
  return kExitOk;
}

/// One JSON line, keys as the Python peer prints them, so the two outputs compare line by line.
int benchCommand(const BenchOptions& options) {
  const auto r = runTrainingBench(options);
  std::printf(
      "{\"config\": \"%s\", \"device\": \"%s\", \"dtype\": \"%s\", \"attention\": \"%s\", "
      "\"engine\": \"distill (LibTorch %s)\", \"threads\": %d, "
      "\"steps\": %d, \"teacher_params\": %lld, \"student_params\": %lld, \"teacher_train_tok_s\": %.1f, "
      "\"student_kd_tok_s\": %.1f, \"teacher_train_gflops\": %.1f, \"matmul_peak_gflops\": %.1f, "
      "\"teacher_fraction_of_peak\": %.3f}\n",
      r.config.c_str(), r.device.c_str(), r.precision.c_str(), r.attention.c_str(), r.torchVersion.c_str(),
      r.threads, options.steps, r.teacherParams, r.studentParams, r.teacherTrainTokensPerSecond,
      r.studentKdTokensPerSecond, r.teacherTrainGflops, r.matmulPeakGflops,
      r.matmulPeakGflops > 0.0 ? r.teacherTrainGflops / r.matmulPeakGflops : 0.0);
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

  auto prepare = std::make_shared<PrepareOptions>();
  prepare->corpus.cacheDir = tokenCacheFolder(RunOptions().runsRoot);
  auto* prepareCmd = app.add_subcommand(
      "prepare",
      "Tokenize a corpus once into the token cache that runs memory-map (runs do it themselves "
      "the first time; this does it ahead, with a progress bar)");
  prepareCmd
      ->add_option("corpus", prepare->data.corpus,
                   "A text file, a folder of .txt/.jsonl files or a .jsonl file")
      ->required()
      ->check(CLI::ExistingPath);
  prepareCmd
      ->add_option("--tokenizer", prepare->data.tokenizer,
                   "char, or a tokenizer folder or file (data.tokenizer)")
      ->capture_default_str();
  prepareCmd->add_option("--text-field", prepare->data.text_field, "JSON Lines: the field holding the text")
      ->capture_default_str();
  prepareCmd
      ->add_option("--out", prepare->corpus.cacheDir, "Token cache folder (runs use <runs>/token-cache)")
      ->capture_default_str();
  prepareCmd->add_option("--threads", prepare->corpus.threads, "Tokenizer threads (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  prepareCmd->footer(
      examples({"distill prepare data/books/ --tokenizer tok/bpe512",
                "distill prepare data/chat.jsonl --text-field content --out runs/token-cache"}));
  commands.add(prepareCmd, [prepare] { return prepareCommand(*prepare); });

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
  benchCmd->add_option("--precision", bench->precision, "fp32, bf16 or fp16 (autocast, as train.precision)")
      ->check(CLI::IsMember({"fp32", "bf16", "fp16"}));
  benchCmd->footer(examples({"distill bench --config small --steps 20",
                             "distill bench --config nanogpt --device cuda --precision bf16"}));
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
