// Resumable checkpoints: a run stopped (or failed) and resumed ends where an uninterrupted run
// ends, its metrics stay one curve, and damaged or mismatched state is refused with a clear error.
#include <torch/torch.h>

#include <sys/wait.h>
#include <unistd.h>
#include <QtTest>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "distill/experiment.h"
#include "distill/model_info.h"
#include "distill/run_reader.h"
#include "io/checkpoint.h"
#include "store/resume_point.h"
#include "store/run_folder_lock.h"

using namespace distill;

namespace {

/// Every kind of state a resume must restore: dropout (LibTorch's generator), a scratch twin, a
/// logit-cache student, a sequence-level student (its sampler) and an on-policy one (its generator).
ExperimentConfig everyStateExperiment() {
  auto loaded = parseExperiment(R"(
name: resume
data: {block_size: 16}
teacher: {layers: 1, heads: 2, embd: 32, dropout: 0.1}
students:
  - {name: tf, arch: transformer, layers: 1, heads: 2, embd: 16}
  - {name: cached, arch: lstm, embd: 16, hidden: 16, scratch_twin: false, distill: {cache_top_k: 8}}
  - {name: seq, layers: 1, heads: 2, embd: 8, scratch_twin: false,
     distill: {regime: sequence, sequence_count: 20, prefix_tokens: 4}}
  - {name: onp, arch: gru, embd: 8, hidden: 8, scratch_twin: false, distill: {regime: on_policy, on_policy_fraction: 0.5}}
train: {steps: 24, batch_size: 4, lr: 0.01, warmup_steps: 3, eval_interval: 8, eval_batches: 2, threads: 1,
        checkpoint_interval: 5}
generate: {prompts: ["ROMEO:"], max_new_tokens: 6}
)",
                                ".");
  if (!loaded.ok()) qFatal("experiment invalid: %s", loaded.problems.front().message.c_str());
  return loaded.config;
}

/// Cancels the run once `phase` reports step `step` (the run then stops before the next step).
class StopAt : public RunObserver {
public:
  StopAt(RunControl& control, std::string phase, int step)
      : m_control(control), m_phase(std::move(phase)), m_step(step) {}
  void onProgress(const ProgressInfo& p) override {
    if (phaseName(p.phase) == m_phase && p.step == m_step) m_control.cancel();
  }
  void onMessage(const std::string& m) override { messages += m + "\n"; }
  std::string messages;

private:
  RunControl& m_control;
  std::string m_phase;
  int m_step;
};

class Quiet : public RunObserver {
public:
  void onMessage(const std::string& m) override { messages += m + "\n"; }
  std::string messages;
};

RunResult runStoppingAt(const ExperimentConfig& config, const std::string& dir, const std::string& phase,
                        int step) {
  RunControl control;
  StopAt observer(control, phase, step);
  RunOptions options;
  options.outDir = dir;
  return runExperiment(config, options, observer, control);
}

RunResult resumeStoppingAt(const std::string& dir, const std::string& phase, int step) {
  RunControl control;
  StopAt observer(control, phase, step);
  return resumeExperiment(dir, {}, observer, control);
}

RunResult resumeToTheEnd(const std::string& dir, std::string* messages = nullptr) {
  RunControl control;
  Quiet observer;
  auto result = resumeExperiment(dir, {}, observer, control);
  if (messages) *messages = observer.messages;
  return result;
}

/// (model, name) → the (step, value) points of every curve whose values do not depend on timing.
std::map<std::pair<std::string, std::string>, std::vector<std::pair<int, double>>> curves(
    const std::string& dir) {
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<int, double>>> out;
  for (const auto& p : readMetrics(dir))
    if (p.name != "tokens_per_s") out[{p.model, p.name}].push_back({p.step, p.value});
  return out;
}

void flipByte(const std::string& path, size_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

}  // namespace

class TestResume : public QObject {
  Q_OBJECT
private slots:
  void stoppedTwiceAndResumedEqualsAnUninterruptedRun() {
    QTemporaryDir tmp;
    const auto config = everyStateExperiment();
    const std::string whole = tmp.filePath("whole").toStdString(),
                      pieces = tmp.filePath("pieces").toStdString();
    RunControl control;
    Quiet quiet;
    RunOptions options;
    options.outDir = whole;
    const auto reference = runExperiment(config, options, quiet, control);
    QVERIFY2(reference.status == RunResult::Status::Completed, reference.error.c_str());

    // Stopped in the teacher's phase between two periodic checkpoints, then in the students'.
    QVERIFY(runStoppingAt(config, pieces, "teacher", 13).status == RunResult::Status::Cancelled);
    auto point = findResumePoint(pieces);
    QVERIFY(point.has_value());
    QCOMPARE(point->phase, std::string("teacher"));
    QCOMPARE(point->step, 13);
    QVERIFY(resumeStoppingAt(pieces, "students", 11).status == RunResult::Status::Cancelled);
    point = findResumePoint(pieces);
    QCOMPARE(point->phase, std::string("students"));
    QCOMPARE(point->step, 11);
    const auto resumed = resumeToTheEnd(pieces);
    QVERIFY2(resumed.status == RunResult::Status::Completed, resumed.error.c_str());
    QVERIFY(!findResumePoint(pieces).has_value());  // a completed run offers no resume

    // Same models, same numbers: bitwise with the same thread count.
    QCOMPARE(resumed.models.size(), reference.models.size());
    for (size_t i = 0; i < reference.models.size(); ++i) {
      QCOMPARE(resumed.models[i].name, reference.models[i].name);
      QCOMPARE(resumed.models[i].steps, reference.models[i].steps);
      QVERIFY2(resumed.models[i].valLoss == reference.models[i].valLoss,
               qPrintable(QString("%1: %2 vs %3")
                              .arg(reference.models[i].name.c_str())
                              .arg(resumed.models[i].valLoss, 0, 'g', 17)
                              .arg(reference.models[i].valLoss, 0, 'g', 17)));
      QCOMPARE(resumed.models[i].agreement, reference.models[i].agreement);
    }
    // Every curve is one curve: the same steps once each, the same values.
    const auto expected = curves(whole), actual = curves(pieces);
    QCOMPARE(actual.size(), expected.size());
    for (const auto& [key, points] : expected) {
      const auto it = actual.find(key);
      QVERIFY2(it != actual.end(), (key.first + " " + key.second).c_str());
      QVERIFY2(it->second == points, (key.first + " " + key.second + ": points differ").c_str());
    }
    QCOMPARE(readSamples(pieces).size(), readSamples(whole).size());
    // A completed run keeps its final checkpoints only.
    QVERIFY(listResumePoints(pieces).empty());
    QVERIFY(!std::filesystem::exists(pieces + "/resume"));
  }

  void aNonFiniteLossKeepsTheLastGoodCheckpoint() {
    QTemporaryDir tmp;
    const std::string dir = tmp.filePath("run").toStdString();
    auto config = everyStateExperiment();
    config.students.resize(1);
    // From step 7 on the learning rate is absurd: the weights overflow and the loss follows.
    class Overflow : public RunObserver {
    public:
      explicit Overflow(RunControl& c) : control(c) {}
      void onProgress(const ProgressInfo& p) override {
        if (p.phase == RunPhase::Teacher && p.step == 7) {
          LiveSettings s;
          s.lr = 1e30;
          control.changeSettings(s);
        }
      }
      RunControl& control;
    };
    RunControl control;
    Overflow observer(control);
    RunOptions options;
    options.outDir = dir;
    const auto result = runExperiment(config, options, observer, control);
    QVERIFY(result.status == RunResult::Status::Failed);
    QVERIFY2(QString::fromStdString(result.error)
                 .contains(QRegularExpression(
                     "model 'teacher': (loss|gradient) became (NaN|Inf) at step (8|9|10)")),
             result.error.c_str());
    const auto point = findResumePoint(dir);
    QVERIFY(point.has_value());
    QCOMPARE(point->step, 5);
    const auto teacher = loadCheckpoint(listResumePoints(dir).front().modelPath("teacher"));
    for (const auto& p : teacher.model->parameters()) QVERIFY(torch::isfinite(p).all().item<bool>());
  }

  void aDamagedNewestCheckpointFallsBackToTheOneBefore() {
    QTemporaryDir tmp;
    const std::string dir = tmp.filePath("run").toStdString();
    auto config = everyStateExperiment();
    config.students.resize(1);
    QVERIFY(runStoppingAt(config, dir, "teacher", 12).status == RunResult::Status::Cancelled);
    auto points = listResumePoints(dir);
    QCOMPARE(points.size(), size_t(2));  // the two newest are kept
    QCOMPARE(points[0].step, 12);
    QCOMPARE(points[1].step, 10);
    flipByte(points[0].modelPath("teacher"), 200);
    QCOMPARE(findResumePoint(dir)->step, 10);
    std::string messages;
    const auto resumed = resumeToTheEnd(dir, &messages);
    QVERIFY2(resumed.status == RunResult::Status::Completed, resumed.error.c_str());
    QVERIFY2(QString::fromStdString(messages).contains("skipping a damaged checkpoint"), messages.c_str());
    QVERIFY2(QString::fromStdString(messages).contains("from teacher step 10"), messages.c_str());
  }

  void keepCheckpointsSetsHowManyPointsStay() {
    QTemporaryDir tmp;
    const std::string dir = tmp.filePath("run").toStdString();
    auto config = everyStateExperiment();
    config.students.resize(1);
    config.train.checkpoint_interval = 2;
    config.train.keep_checkpoints = 3;
    QVERIFY(runStoppingAt(config, dir, "teacher", 12).status == RunResult::Status::Cancelled);
    const auto points = listResumePoints(dir);
    QCOMPARE(points.size(), size_t(3));  // steps 12, 10, 8 of 2, 4, ..., 12
    QCOMPARE(points[0].step, 12);
    QCOMPARE(points[2].step, 8);
  }

  void aChangedCorpusIsRefused() {
    QTemporaryDir tmp;
    const std::string corpus = tmp.filePath("corpus.txt").toStdString();
    std::filesystem::copy_file(bundledCorpusPath(), corpus);
    auto config = everyStateExperiment();
    config.students.resize(1);
    config.data.corpus = corpus;
    const std::string dir = tmp.filePath("run").toStdString();
    QVERIFY(runStoppingAt(config, dir, "teacher", 6).status == RunResult::Status::Cancelled);
    std::ofstream(corpus, std::ios::app) << "\nA line written after the run stopped.\n";
    const auto resumed = resumeToTheEnd(dir);
    QVERIFY(resumed.status == RunResult::Status::Failed);
    QVERIFY2(QString::fromStdString(resumed.error).contains("changed since"), resumed.error.c_str());
  }

  void nothingToResumeIsSaidPlainly() {
    QTemporaryDir tmp;
    const auto missing = resumeToTheEnd(tmp.filePath("nope").toStdString());
    QVERIFY(missing.status == RunResult::Status::Failed);
    QVERIFY2(QString::fromStdString(missing.error).contains("run directory not found"),
             missing.error.c_str());

    auto config = everyStateExperiment();
    config.students.resize(1);
    config.train.steps = 4;
    const std::string dir = tmp.filePath("run").toStdString();
    RunControl control;
    Quiet quiet;
    RunOptions options;
    options.outDir = dir;
    QVERIFY(runExperiment(config, options, quiet, control).status == RunResult::Status::Completed);
    const auto completed = resumeToTheEnd(dir);
    QVERIFY(completed.status == RunResult::Status::Failed);
    QVERIFY2(QString::fromStdString(completed.error).contains("has completed"), completed.error.c_str());

    std::filesystem::remove_all(dir + "/resume");
    std::filesystem::remove(dir + "/summary.json");
    const auto none = resumeToTheEnd(dir);
    QVERIFY(none.status == RunResult::Status::Failed);
    QVERIFY2(QString::fromStdString(none.error).contains("no resumable checkpoint"), none.error.c_str());
  }

  void aRunWhoseProcessDiedIsListedAsCrashed() {
    QTemporaryDir tmp;
    const std::string dir = tmp.filePath("run").toStdString();
    auto config = everyStateExperiment();
    config.students.resize(1);
    QVERIFY(runStoppingAt(config, dir, "teacher", 6).status == RunResult::Status::Cancelled);
    QCOMPARE(readRunSummary(dir).status, std::string("cancelled"));
    QVERIFY(!std::filesystem::exists(dir + "/running.pid"));  // removed when the run ended

    // What a killed process leaves: its pid, no longer alive.
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    std::ofstream(dir + "/running.pid") << child << "\n";
    QCOMPARE(readRunSummary(dir).status, std::string("crashed"));
    // A live PID alone is no proof (PIDs are reused): the writer's lock decides.
    std::ofstream(dir + "/running.pid") << ::getpid() << "\n";
    QCOMPARE(readRunSummary(dir).status, std::string("crashed"));
    RunFolderLock writer(dir);  // e.g. being resumed right now
    QCOMPARE(readRunSummary(dir).status, std::string("running"));
  }

  void aTornMetricsLineIsCutBackOnResume() {
    QTemporaryDir tmp;
    const std::string dir = tmp.filePath("run").toStdString();
    auto config = everyStateExperiment();
    config.students.resize(1);
    QVERIFY(runStoppingAt(config, dir, "teacher", 10).status == RunResult::Status::Cancelled);
    // What a crash mid-write leaves: half a line.
    std::ofstream(dir + "/metrics.jsonl", std::ios::app) << "{\"model\":\"teacher\",\"na";
    QVERIFY(resumeToTheEnd(dir).status == RunResult::Status::Completed);
    std::ifstream in(dir + "/metrics.jsonl");
    int lines = 0;
    for (std::string line; std::getline(in, line); ++lines)
      QVERIFY2(!nlohmann::json::parse(line, nullptr, false).is_discarded(), line.c_str());
    QVERIFY(lines > 0);
  }
};

QTEST_GUILESS_MAIN(TestResume)
#include "tst_resume.moc"
