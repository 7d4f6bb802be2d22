// Mutation fuzzing of the readers that take files from outside: safetensors, BPE vocab / merges /
// tokenizer.json, SentencePiece models, embedded tokenizers, experiment YAML and checkpoints. Every mutated
// input must either load (and then encode / decode without trouble) or fail with an EngineError; a crash, a
// hang or any other exception fails the test. Deterministic: fixed seeds, the same inputs every run.
// scripts/fuzz.sh runs the same targets for a bounded time with fresh seeds instead
// (DISTILL_FUZZ_SECONDS per target, DISTILL_FUZZ_SEED to replay a failure).
#include <torch/torch.h>

#include <QtTest>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include "sentencepiece_guard.h"

#include "distill/config.h"
#include "distill/errors.h"
#include "distill/experiment.h"
#include "distill/model_info.h"
#include "distill/tokenizers.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "models/model_factory.h"
#include "tokenizers/tokenizer.h"

using namespace distill;

namespace {

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

void writeAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

/// One random mutation: flip a bit, set a byte to an interesting value, cut, duplicate or delete
/// a span. `focus` limits the position to the first `focus` bytes (the header of a binary file).
std::string mutate(std::string bytes, std::mt19937& rng, size_t focus) {
  if (bytes.empty()) return std::string(1, static_cast<char>(rng()));
  const size_t limit = std::min(bytes.size(), focus);
  std::uniform_int_distribution<size_t> at(0, limit - 1);
  static const char interesting[] = {'\0', '\xff', '"',  '{', '}', '[',    ']', ',',
                                     ':',  ' ',    '\n', '9', '-', '\x80', '\\'};
  switch (rng() % 6) {
    case 0:
      bytes[at(rng)] ^= static_cast<char>(1 << (rng() % 8));
      break;
    case 1:
      bytes[at(rng)] = interesting[rng() % sizeof interesting];
      break;
    case 2:
      bytes.resize(at(rng));
      break;
    case 3: {
      const size_t from = at(rng), length = std::min<size_t>(rng() % 16 + 1, bytes.size() - from);
      bytes.insert(at(rng), bytes.substr(from, length));
      break;
    }
    case 4: {
      const size_t from = at(rng);
      bytes.erase(from, std::min<size_t>(rng() % 16 + 1, bytes.size() - from));
      break;
    }
    default: {
      // Digits to large numbers: offsets, ids and lengths are where readers overflow.
      const size_t from = at(rng);
      const size_t digit = bytes.find_first_of("0123456789", from);
      if (digit != std::string::npos) bytes.insert(digit, std::to_string(rng()));
    }
  }
  return bytes;
}

/// The next input of a fuzz run: one to three mutations of the original.
std::string nextMutant(const std::string& original, std::mt19937& rng, size_t focus) {
  std::string mutant = original;
  const int rounds = 1 + static_cast<int>(rng() % 3);
  for (int r = 0; r < rounds; ++r) mutant = mutate(mutant, rng, focus);
  return mutant;
}

struct Outcome {
  int loaded = 0;
  int rejected = 0;
};

/// The time-bounded mode of scripts/fuzz.sh: seconds per target (0: the fixed counts and seeds).
double fuzzSeconds() {
  const char* seconds = std::getenv("DISTILL_FUZZ_SECONDS");
  return seconds ? std::atof(seconds) : 0.0;
}

/// How long one input may take before it counts as a hang (DISTILL_FUZZ_INPUT_SECONDS, default 10).
double inputSeconds() {
  const char* seconds = std::getenv("DISTILL_FUZZ_INPUT_SECONDS");
  return seconds ? std::atof(seconds) : 10.0;
}

/// A hang cannot be caught in-process: a watchdog thread saves the input in flight, says which
/// seed and mutant it was, and ends the process (the output is flushed: a pipe buffers it).
class InputWatchdog {
public:
  InputWatchdog(std::string savedAs, uint32_t seed) : m_savedAs(std::move(savedAs)), m_seed(seed) {
    m_thread = std::thread([this] { watch(); });
  }
  ~InputWatchdog() {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_done = true;
    }
    m_wake.notify_all();
    m_thread.join();
  }
  void begin(int index, const std::string& input) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_index = index;
    m_input = input;
    m_deadline =
        std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                               std::chrono::duration<double>(inputSeconds()));
    m_busy = true;
  }
  void end() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_busy = false;
  }

private:
  void watch() {
    std::unique_lock<std::mutex> lock(m_mutex);
    while (!m_done) {
      m_wake.wait_for(lock, std::chrono::milliseconds(100));
      if (m_busy && std::chrono::steady_clock::now() > m_deadline) {
        writeAll(m_savedAs, m_input);
        std::fprintf(stderr,
                     "FAIL! hang: mutant %d of seed %u took over %.0f s (input kept as %s; replay with "
                     "DISTILL_FUZZ_SEED=%u)\n",
                     m_index, m_seed, inputSeconds(), m_savedAs.c_str(), m_seed);
        std::fflush(stderr);
        std::_Exit(3);
      }
    }
  }
  std::string m_savedAs;
  uint32_t m_seed;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_done = false, m_busy = false;
  int m_index = 0;
  std::string m_input;
  std::chrono::steady_clock::time_point m_deadline;
  std::thread m_thread;
};

/// Runs `attempt` on `count` mutants of `original` (written to `path`); fails on anything but
/// success or EngineError, and on any input that takes longer than inputSeconds(). In the
/// time-bounded mode: mutants for that long, from a fresh seed (or DISTILL_FUZZ_SEED).
Outcome fuzz(const std::string& original, const std::string& path, int count, size_t focus, uint32_t seed,
             const std::function<void(const std::string&)>& attempt) {
  const double seconds = fuzzSeconds();
  if (seconds > 0.0) {
    const char* fixed = std::getenv("DISTILL_FUZZ_SEED");
    seed = fixed ? static_cast<uint32_t>(std::strtoul(fixed, nullptr, 10))
                 : static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  // Said before the first input, and flushed: a hang or a crash must not lose it.
  std::fprintf(
      stdout, "QINFO  : seed %u, %s (replay with DISTILL_FUZZ_SEED=%u)\n", seed,
      seconds > 0.0 ? qPrintable(QString("%1 s").arg(seconds)) : qPrintable(QString("%1 mutants").arg(count)),
      seed);
  std::fflush(stdout);
  InputWatchdog watchdog(path + ".hang", seed);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::mt19937 rng(seed);
  Outcome outcome;
  for (int i = 0; seconds > 0.0 ? std::chrono::steady_clock::now() < deadline : i < count; ++i) {
    const std::string mutant = nextMutant(original, rng, focus);
    writeAll(path, mutant);
    watchdog.begin(i, mutant);
    struct EndOfInput {
      InputWatchdog& w;
      ~EndOfInput() { w.end(); }
    } endOfInput{watchdog};
    try {
      attempt(path);
      ++outcome.loaded;
    } catch (const EngineError&) {
      ++outcome.rejected;
    } catch (const std::exception& e) {
      writeAll(path + ".failing", mutant);
      QTest::qFail(qPrintable(QString("mutant %1 (seed %2) escaped as %3: %4 (kept as %5.failing)")
                                  .arg(i)
                                  .arg(seed)
                                  .arg(typeid(e).name(), e.what(), QString::fromStdString(path))),
                   __FILE__, __LINE__);
      return outcome;
    }
  }
  return outcome;
}

/// A tiny run stopped after teacher step 2 (its only resumable point), and a copy to damage:
/// resume() resumes the copy for at most one more step, then restores it.
class ResumableRun {
public:
  explicit ResumableRun(const std::string& file) {
    namespace fs = std::filesystem;
    const std::string corpus = m_dir.filePath("corpus.txt").toStdString();
    writeAll(corpus, readAll(bundledCorpusPath()).substr(0, 20000));
    auto loaded = parseExperiment(
        "data: {corpus: " + corpus +
            ", block_size: 8}\n"
            "teacher: {layers: 1, heads: 2, embd: 8}\n"
            "students: [{name: s, arch: gru, embd: 8, hidden: 8}]\n"
            "train: {steps: 3, batch_size: 2, eval_batches: 1, threads: 1, checkpoint_interval: 1}\n"
            "generate: {prompts: [A], max_new_tokens: 2}\n",
        ".");
    m_pristine = m_dir.filePath("pristine").toStdString();
    m_run = m_dir.filePath("run").toStdString();
    RunControl control;
    StopAfterTwo stop(control);
    RunOptions options;
    options.outDir = m_pristine;
    if (!loaded.ok() ||
        runExperiment(loaded.config, options, stop, control).status != RunResult::Status::Cancelled)
      return;
    m_point = "/resume/0001-1-teacher-000000002/" + file;
    if (!fs::exists(m_pristine + m_point)) return;
    fs::remove_all(m_pristine + "/resume/0001-1-teacher-000000001");  // no older point to fall back on
    fs::copy(m_pristine, m_run, fs::copy_options::recursive);
    m_ready = true;
  }
  bool ready() const { return m_ready; }
  std::string original() const { return readAll(m_pristine + m_point); }
  std::string target() const { return m_run + m_point; }
  /// Throws EngineError when the resume fails.
  void resume() {
    namespace fs = std::filesystem;
    RunControl control;
    StopAfterTwo stop(control);  // at most one more step: a mutated step count cannot make it long
    const auto result = resumeExperiment(m_run, {}, stop, control);
    fs::remove_all(m_run);
    fs::copy(m_pristine, m_run, fs::copy_options::recursive);
    if (result.status == RunResult::Status::Failed) throw EngineError(result.error);
  }

private:
  // Stops after teacher step 2: the newest point is teacher step 2.
  class StopAfterTwo : public RunObserver {
  public:
    explicit StopAfterTwo(RunControl& c) : control(c) {}
    void onProgress(const ProgressInfo& p) override {
      if (p.step >= 2) control.cancel();
    }
    RunControl& control;
  };
  QTemporaryDir m_dir;
  std::string m_pristine, m_run, m_point;
  bool m_ready = false;
};

void useTokenizer(const Tokenizer& tokenizer) {
  const auto ids = tokenizer.encode("First Citizen: don't 12 日本 😀");
  tokenizer.decode(ids);
  for (int64_t id = -1; id < std::min<int64_t>(tokenizer.vocabSize(), 300) + 2; ++id) tokenizer.decodeOne(id);
}

}  // namespace

class TestFuzzReaders : public QObject {
  Q_OBJECT
private slots:
  void safetensorsHeaders() {
    QTemporaryDir dir;
    const auto original = readAll(DISTILL_FIXTURES_DIR "/gpt2-tiny/model.safetensors");
    const auto outcome = fuzz(original, dir.filePath("m.safetensors").toStdString(), 3000, 3000, 11,
                              [](const std::string& path) {
                                SafetensorsFile file(path);
                                for (const auto& [name, entry] : file.entries()) file.tensor(name);
                              });
    qInfo("safetensors: %d loaded, %d rejected", outcome.loaded, outcome.rejected);
    // Most mutants break the header. A share, not a count: scripts/fuzz.sh bounds the time, so how
    // many mutants run depends on the machine's load (CI's wheel build once ran 702 in its 2 s).
    const int total = outcome.loaded + outcome.rejected;
    QVERIFY2(total >= 50 && outcome.rejected * 2 > total,
             qPrintable(QString("%1 rejected of %2").arg(outcome.rejected).arg(total)));
  }

  void bpeFiles_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("vocab.json") << "vocab.json";
    QTest::newRow("merges.txt") << "merges.txt";
    QTest::newRow("tokenizer.json") << "tokenizer.json";
  }
  void bpeFiles() {
    QFETCH(QString, file);
    QTemporaryDir dir;
    for (const char* name : {"vocab.json", "merges.txt"})
      writeAll(dir.filePath(name).toStdString(),
               readAll(std::string(DISTILL_FIXTURES_DIR "/bpe512/") + name));
    const std::string target = dir.filePath(file).toStdString();
    const std::string load = file == "tokenizer.json" ? target : dir.path().toStdString();
    const auto outcome = fuzz(readAll(DISTILL_FIXTURES_DIR "/bpe512/" + file.toStdString()), target, 1500,
                              SIZE_MAX, 23, [&](const std::string&) { useTokenizer(Tokenizer::load(load)); });
    qInfo("%s: %d loaded, %d rejected", qPrintable(file), outcome.loaded, outcome.rejected);
    QVERIFY(outcome.rejected > 0);
  }

  void sentencePieceModel() {
    SKIP_IN_SANITIZER_BUILDS();
    QTemporaryDir dir;
    std::string corpus;
    for (int i = 0; i < 200; ++i)
      corpus += "First Citizen: before we proceed any further, hear me speak " + std::to_string(i) + "\n";
    writeAll(dir.filePath("corpus.txt").toStdString(), corpus);
    TokenizerTrainingOptions options;
    options.kind = "sentencepiece";
    options.corpus = dir.filePath("corpus.txt").toStdString();
    options.vocabSize = 300;
    options.outDir = dir.filePath("sp").toStdString();
    trainTokenizer(options);
    const auto original = readAll(options.outDir + "/tokenizer.model");
    const auto outcome = fuzz(original, dir.filePath("m.model").toStdString(), 800, SIZE_MAX, 31,
                              [](const std::string& path) { useTokenizer(Tokenizer::load(path)); });
    qInfo("sentencepiece: %d loaded, %d rejected", outcome.loaded, outcome.rejected);
    QVERIFY(outcome.rejected > 0);
  }

  void experimentYaml() {
    // A YAML problem is a reported ConfigProblem, never an exception.
    QTemporaryDir dir;
    const auto original = readAll(DISTILL_PROJECT_DIR "/experiments/methods_compare.yaml");
    int problems = 0;
    const auto outcome = fuzz(original, dir.filePath("x.yaml").toStdString(), 3000, SIZE_MAX, 53,
                              [&](const std::string& path) {
                                const auto loaded = loadExperimentFile(path);
                                if (!loaded.ok()) ++problems;
                                experimentToYaml(loaded.config);
                              });
    qInfo("yaml: %d with problems reported of %d", problems, outcome.loaded + outcome.rejected);
    QCOMPARE(outcome.rejected, 0);
    // Most mutants break a key, a type or a range (81 % of the full 3,000). A share, not a count:
    // scripts/fuzz.sh bounds the time, so how many mutants run depends on the machine's load.
    const int total = outcome.loaded + outcome.rejected;
    QVERIFY2(total >= 50 && problems * 2 > total, qPrintable(QString("%1 of %2").arg(problems).arg(total)));
  }

  void checkpoints() {
    QTemporaryDir dir;
    torch::manual_seed(3);
    CheckpointInfo info;
    info.modelName = "teacher";
    info.spec = StudentConfig::defaultStudentSpec();
    info.spec.embd = 16;
    info.spec.heads = 2;
    info.tokenizer = Tokenizer::load(DISTILL_FIXTURES_DIR "/bpe512");
    info.vocabSize = info.tokenizer.vocabSize();
    info.blockSize = 8;
    const auto path = dir.filePath("ok.pt").toStdString();
    saveCheckpoint(path, *makeModel(info.spec, info.vocabSize, info.blockSize), info);
    const auto original = readAll(path);
    // The zip's local headers and the metadata record sit at the start and end: mutate everywhere.
    const auto outcome =
        fuzz(original, dir.filePath("m.pt").toStdString(), 600, SIZE_MAX, 61, [](const std::string& p) {
          const auto loaded = loadCheckpoint(p);
          useTokenizer(loaded.info.tokenizer);
          torch::NoGradGuard noGrad;
          loaded.model->forward(torch::zeros({1, 4}, torch::kInt64));
        });
    qInfo("checkpoints: %d loaded, %d rejected", outcome.loaded, outcome.rejected);
    QVERIFY(outcome.rejected > 0);
  }

  void resumeState_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("state.json") << "state.json";
    QTest::newRow("state.pt") << "state.pt";
  }
  void resumeState() {
    // A damaged resumable checkpoint: resumeExperiment reports it (or resumes) and never crashes.
    QFETCH(QString, file);
    ResumableRun run(file.toStdString());
    QVERIFY(run.ready());
    const auto outcome =
        fuzz(run.original(), run.target(), 120, SIZE_MAX, 71, [&](const std::string&) { run.resume(); });
    qInfo("%s: %d resumed, %d rejected", qPrintable(file), outcome.loaded, outcome.rejected);
    QVERIFY(outcome.rejected > 0);
  }

  // The input that hung `scripts/fuzz.sh` (seed 3807394042, mutant 7 of state.json: step 2 became
  // 28726274872, which wrapped to a negative int and trained for ever) is now refused at once.
  void theResumeStateHangIsRejectedAtOnce() {
    ResumableRun run("state.json");
    QVERIFY(run.ready());
    // The same damage, made directly (the mutants depend on the bytes of each run's elapsed time).
    std::string damaged = run.original();
    const auto at = damaged.find("\"step\": 2,");
    QVERIFY(at != std::string::npos);
    damaged.replace(at, 10, "\"step\": 28726274872,");
    writeAll(run.target(), damaged);
    QElapsedTimer clock;
    clock.start();
    try {
      run.resume();
      QFAIL("the damaged state resumed");
    } catch (const EngineError& e) {
      QVERIFY2(QString(e.what()).contains("'step' is out of range"), e.what());
    }
    QVERIFY2(clock.elapsed() < 1000, qPrintable(QString::number(clock.elapsed())));
  }

  void embeddedTokenizers() {
    QTemporaryDir dir;
    const std::string embedded = Tokenizer::load(DISTILL_FIXTURES_DIR "/bpe512").toJson().dump();
    const auto outcome =
        fuzz(embedded, dir.filePath("t.json").toStdString(), 1500, SIZE_MAX, 47, [](const std::string& path) {
          nlohmann::json j;
          try {
            j = nlohmann::json::parse(readAll(path));
          } catch (const nlohmann::json::exception&) {
            throw EngineError("not JSON");  // the checkpoint reader reports this itself
          }
          useTokenizer(Tokenizer::fromJson(j));
        });
    qInfo("embedded: %d loaded, %d rejected", outcome.loaded, outcome.rejected);
    QVERIFY(outcome.rejected > 0);
  }
};

QTEST_APPLESS_MAIN(TestFuzzReaders)
#include "tst_fuzz_readers.moc"
