// Mutation fuzzing of the readers that take files from outside: safetensors, BPE vocab / merges /
// tokenizer.json, SentencePiece models, embedded tokenizers, experiment YAML and checkpoints. Every mutated input must either
// load (and then encode / decode without trouble) or fail with an EngineError; a crash, a hang or
// any other exception fails the test. Deterministic: fixed seeds, the same inputs every run.
// scripts/fuzz.sh runs the same targets for a bounded time with fresh seeds instead
// (DISTILL_FUZZ_SECONDS per target, DISTILL_FUZZ_SEED to replay a failure).
#include <torch/torch.h>

#include <QtTest>

#include "sentencepiece_guard.h"
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "checkpoint.h"
#include "distill/config.h"
#include "distill/errors.h"
#include "distill/experiment.h"
#include "distill/model_info.h"
#include "model_factory.h"
#include "distill/tokenizers.h"
#include "safetensors.h"
#include "tokenizer.h"

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
  static const char interesting[] = {'\0', '\xff', '"', '{', '}', '[', ']', ',', ':', ' ', '\n', '9', '-', '\x80', '\\'};
  switch (rng() % 6) {
    case 0: bytes[at(rng)] ^= static_cast<char>(1 << (rng() % 8)); break;
    case 1: bytes[at(rng)] = interesting[rng() % sizeof interesting]; break;
    case 2: bytes.resize(at(rng)); break;
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

struct Outcome {
  int loaded = 0;
  int rejected = 0;
};

/// The time-bounded mode of scripts/fuzz.sh: seconds per target (0: the fixed counts and seeds).
double fuzzSeconds() {
  const char* seconds = std::getenv("DISTILL_FUZZ_SECONDS");
  return seconds ? std::atof(seconds) : 0.0;
}

/// Runs `attempt` on `count` mutants of `original` (written to `path`); fails on anything but
/// success or EngineError. In the time-bounded mode: mutants for that long, from a fresh seed.
Outcome fuzz(const std::string& original, const std::string& path, int count, size_t focus, uint32_t seed,
             const std::function<void(const std::string&)>& attempt) {
  const double seconds = fuzzSeconds();
  if (seconds > 0.0) {
    const char* fixed = std::getenv("DISTILL_FUZZ_SEED");
    seed = fixed ? static_cast<uint32_t>(std::strtoul(fixed, nullptr, 10))
                 : static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    qInfo("seed %u for %.0f s (replay with DISTILL_FUZZ_SEED=%u)", seed, seconds, seed);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::mt19937 rng(seed);
  Outcome outcome;
  for (int i = 0; seconds > 0.0 ? std::chrono::steady_clock::now() < deadline : i < count; ++i) {
    std::string mutant = original;
    const int rounds = 1 + static_cast<int>(rng() % 3);
    for (int r = 0; r < rounds; ++r) mutant = mutate(mutant, rng, focus);
    writeAll(path, mutant);
    try {
      attempt(path);
      ++outcome.loaded;
    } catch (const EngineError&) {
      ++outcome.rejected;
    } catch (const std::exception& e) {
      writeAll(path + ".failing", mutant);
      QTest::qFail(qPrintable(QString("mutant %1 (seed %2) escaped as %3: %4 (kept as %5.failing)")
                                  .arg(i).arg(seed).arg(typeid(e).name(), e.what(), QString::fromStdString(path))),
                   __FILE__, __LINE__);
      return outcome;
    }
  }
  return outcome;
}

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
    const auto outcome = fuzz(original, dir.filePath("m.safetensors").toStdString(), 3000, 3000, 11, [](const std::string& path) {
      SafetensorsFile file(path);
      for (const auto& [name, entry] : file.entries()) file.tensor(name);
    });
    qInfo("safetensors: %d loaded, %d rejected", outcome.loaded, outcome.rejected);
    QVERIFY(outcome.rejected > 1000);
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
      writeAll(dir.filePath(name).toStdString(), readAll(std::string(DISTILL_FIXTURES_DIR "/bpe512/") + name));
    const std::string target = dir.filePath(file).toStdString();
    const std::string load = file == "tokenizer.json" ? target : dir.path().toStdString();
    const auto outcome = fuzz(readAll(DISTILL_FIXTURES_DIR "/bpe512/" + file.toStdString()), target, 1500, SIZE_MAX, 23,
                              [&](const std::string&) { useTokenizer(Tokenizer::load(load)); });
    qInfo("%s: %d loaded, %d rejected", qPrintable(file), outcome.loaded, outcome.rejected);
    QVERIFY(outcome.rejected > 0);
  }

  void sentencePieceModel() {
    SKIP_IN_SANITIZER_BUILDS();
    QTemporaryDir dir;
    std::string corpus;
    for (int i = 0; i < 200; ++i) corpus += "First Citizen: before we proceed any further, hear me speak " + std::to_string(i) + "\n";
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
    const auto outcome = fuzz(original, dir.filePath("x.yaml").toStdString(), 3000, SIZE_MAX, 53, [&](const std::string& path) {
      const auto loaded = loadExperimentFile(path);
      if (!loaded.ok()) ++problems;
      experimentToYaml(loaded.config);
    });
    qInfo("yaml: %d with problems reported of %d", problems, outcome.loaded + outcome.rejected);
    QCOMPARE(outcome.rejected, 0);
    QVERIFY(problems > 500);
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
    const auto outcome = fuzz(original, dir.filePath("m.pt").toStdString(), 600, SIZE_MAX, 61, [](const std::string& p) {
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
    namespace fs = std::filesystem;
    QTemporaryDir dir;
    const std::string corpus = dir.filePath("corpus.txt").toStdString();
    writeAll(corpus, readAll(bundledCorpusPath()).substr(0, 20000));
    auto loaded = parseExperiment("data: {corpus: " + corpus + ", block_size: 8}\n"
                                  "teacher: {layers: 1, heads: 2, embd: 8}\n"
                                  "students: [{name: s, arch: gru, embd: 8, hidden: 8}]\n"
                                  "train: {steps: 3, batch_size: 2, eval_batches: 1, threads: 1, checkpoint_interval: 1}\n"
                                  "generate: {prompts: [A], max_new_tokens: 2}\n", ".");
    QVERIFY(loaded.ok());
    // Stops after teacher step 2: the newest point is teacher step 2.
    class StopAfterTwo : public RunObserver {
    public:
      explicit StopAfterTwo(RunControl& c) : control(c) {}
      void onProgress(const ProgressInfo& p) override {
        if (p.step >= 2) control.cancel();
      }
      RunControl& control;
    };
    const std::string pristine = dir.filePath("pristine").toStdString(), run = dir.filePath("run").toStdString();
    {
      RunControl control;
      StopAfterTwo stop(control);
      RunOptions options;
      options.outDir = pristine;
      QVERIFY(runExperiment(loaded.config, options, stop, control).status == RunResult::Status::Cancelled);
    }
    const std::string point = "/resume/1-teacher-000000002/" + file.toStdString();
    QVERIFY(fs::exists(pristine + point));
    fs::remove_all(pristine + "/resume/1-teacher-000000001");  // no older point to fall back on
    fs::copy(pristine, run, fs::copy_options::recursive);
    const auto outcome = fuzz(readAll(pristine + point), run + point, 120, SIZE_MAX, 71, [&](const std::string&) {
      RunControl control;
      StopAfterTwo stop(control);  // at most one more step: a mutated step count cannot make it long
      const auto result = resumeExperiment(run, {}, stop, control);
      fs::remove_all(run);
      fs::copy(pristine, run, fs::copy_options::recursive);
      if (result.status == RunResult::Status::Failed) throw EngineError(result.error);
    });
    qInfo("%s: %d resumed, %d rejected", qPrintable(file), outcome.loaded, outcome.rejected);
    QVERIFY(outcome.rejected > 0);
  }

  void embeddedTokenizers() {
    QTemporaryDir dir;
    const std::string embedded = Tokenizer::load(DISTILL_FIXTURES_DIR "/bpe512").toJson().dump();
    const auto outcome = fuzz(embedded, dir.filePath("t.json").toStdString(), 1500, SIZE_MAX, 47, [](const std::string& path) {
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
