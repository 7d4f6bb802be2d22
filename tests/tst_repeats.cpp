// Repeats (train.repeats): the teacher trains once and is shared, each repeat's students start
// from other weights and batches, a student and its scratch twin share theirs within a repeat, the
// summary holds each repeat and the paired verdict, and a run stopped mid-repeat resumes to the
// numbers of an uninterrupted one.
#include <torch/torch.h>

#include <QtTest>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "distill/experiment.h"
#include "distill/metric_names.h"
#include "distill/run_reader.h"
#include "distill/twin_comparison.h"

using namespace distill;

namespace {

ExperimentConfig repeatedExperiment(const std::string& extraTrain = "") {
  auto loaded = parseExperiment(R"(
name: repeated
data: {block_size: 16}
teacher: {layers: 1, heads: 2, embd: 32, dropout: 0.1}
students:
  - {name: tf, arch: transformer, layers: 1, heads: 2, embd: 16}
  - {name: rnn, arch: gru, embd: 16, hidden: 16, distill: {cache_top_k: 8}}
train: {steps: 20, batch_size: 4, lr: 0.01, warmup_steps: 3, eval_interval: 10, eval_batches: 2,
        threads: 1, checkpoint_interval: 5, repeats: 3)" +
                                    extraTrain +
                                    R"(}
generate: {prompts: ["ROMEO:"], max_new_tokens: 6}
)",
                                ".");
  if (!loaded.ok()) qFatal("experiment invalid: %s", loaded.problems.front().message.c_str());
  return loaded.config;
}

/// Cancels the run once repeat `repeat` of the students' phase reports step `step`.
class StopInRepeat : public RunObserver {
public:
  StopInRepeat(RunControl& control, int repeat, int step)
      : m_control(control), m_repeat(repeat), m_step(step) {}
  void onProgress(const ProgressInfo& p) override {
    repeatsSeen.insert(p.repeat);
    if (p.phase == RunPhase::Students && p.repeat == m_repeat && p.step == m_step) m_control.cancel();
  }
  std::set<int> repeatsSeen;

private:
  RunControl& m_control;
  int m_repeat, m_step;
};

RunResult runTo(const ExperimentConfig& config, const std::string& dir, int stopRepeat = 0,
                int stopStep = 0) {
  RunControl control;
  StopInRepeat observer(control, stopRepeat, stopStep);
  RunOptions options;
  options.outDir = dir;
  options.measureSpeed = false;
  return runExperiment(config, options, observer, control);
}

/// The value of `metric` of `model` at `step` in repeat `repeat` (NaN when absent).
double valueAt(const std::vector<MetricPoint>& points, const std::string& model, const char* metric, int step,
               int repeat) {
  for (const auto& p : points)
    if (p.model == model && p.name == metric && p.step == step && p.repeat == repeat) return p.value;
  return std::nan("");
}

const ModelSummary& modelNamed(const std::vector<ModelSummary>& models, const std::string& name) {
  for (const auto& m : models)
    if (m.name == name) return m;
  qFatal("no model %s", name.c_str());
}

}  // namespace

class TestRepeats : public QObject {
  Q_OBJECT
private slots:
  void theTeacherTrainsOnceAndIsShared() {
    QTemporaryDir tmp;
    const std::string dir = tmp.filePath("run").toStdString();
    RunControl control;
    StopInRepeat observer(control, 0, 0);
    RunOptions options;
    options.outDir = dir;
    options.measureSpeed = false;
    const auto result = runExperiment(repeatedExperiment(), options, observer, control);
    QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());
    QCOMPARE(observer.repeatsSeen, (std::set<int>{1, 2, 3}));
    // The teacher's 20 steps are logged once, in the first repeat; the students' in each.
    int teacherSteps = 0;
    std::map<int, int> studentSteps;
    for (const auto& p : readMetrics(dir)) {
      if (p.model == "teacher" && p.name == metric::kTrainLoss) ++teacherSteps;
      if (p.model == "tf-kd" && p.name == metric::kTrainLoss) ++studentSteps[p.repeat];
    }
    QCOMPARE(teacherSteps, 20);
    QCOMPARE(studentSteps, (std::map<int, int>{{1, 20}, {2, 20}, {3, 20}}));
    QVERIFY(std::filesystem::exists(dir + "/checkpoints/teacher.pt"));
    QVERIFY(!std::filesystem::exists(dir + "/checkpoints/repeat-2/teacher.pt"));
    for (const char* file :
         {"/checkpoints/tf-kd.pt", "/checkpoints/repeat-2/tf-kd.pt", "/checkpoints/repeat-3/rnn-scratch.pt"})
      QVERIFY2(std::filesystem::exists(dir + file), file);
    // The summary: the teacher once, every student's three repeats with their mean.
    const auto& teacher = modelNamed(result.models, "teacher");
    QVERIFY(teacher.repeats.empty());
    const auto& kd = modelNamed(result.models, "tf-kd");
    QCOMPARE(kd.repeats.size(), size_t(3));
    QCOMPARE(kd.valLoss, spreadOf(kd.repeats, &RepeatOutcome::valLoss).mean);
    QVERIFY(kd.repeats[0].seed != kd.repeats[1].seed);
    // What the run returned is what summary.json holds (the runs table reads that).
    const auto record = readRunSummary(dir);
    const auto& read = modelNamed(record.models, "tf-kd");
    QCOMPARE(read.repeats.size(), size_t(3));
    QCOMPARE(read.repeats[2].valLoss, kd.repeats[2].valLoss);
    const auto pairs = twinPairs(record.models);
    QCOMPARE(pairs.size(), size_t(2));
    QCOMPARE(pairs[0].paired.pairs, 3);
    QVERIFY(pairs[0].paired.low <= pairs[0].paired.mean && pairs[0].paired.mean <= pairs[0].paired.high);
  }

  // Within a repeat a student and its twin start from the same weights and see the same batches;
  // another repeat changes both. Observable without reading weights: the step-0 validation loss
  // (weights) and the cross-entropy of the first step (weights and the first batch).
  void twinsShareTheSeedWithinARepeatAndDifferAcross() {
    QTemporaryDir tmp;
    const std::string dir = tmp.filePath("run").toStdString();
    QVERIFY(runTo(repeatedExperiment(), dir).status == RunResult::Status::Completed);
    const auto points = readMetrics(dir);
    std::set<double> initialLosses, firstBatchLosses;
    for (int repeat = 1; repeat <= 3; ++repeat) {
      const double kdInit = valueAt(points, "tf-kd", metric::kValLoss, 0, repeat);
      QVERIFY(std::isfinite(kdInit));
      QCOMPARE(valueAt(points, "tf-scratch", metric::kValLoss, 0, repeat), kdInit);
      const double kdFirstCe = valueAt(points, "tf-kd", metric::kHardLoss, 1, repeat);
      QVERIFY(std::isfinite(kdFirstCe));
      QCOMPARE(valueAt(points, "tf-scratch", metric::kTrainLoss, 1, repeat), kdFirstCe);
      initialLosses.insert(kdInit);
      firstBatchLosses.insert(kdFirstCe);
    }
    QCOMPARE(initialLosses.size(), size_t(3));
    QCOMPARE(firstBatchLosses.size(), size_t(3));
  }

  void repeatTeacherRetrainsItInEveryRepeat() {
    QTemporaryDir tmp;
    const std::string dir = tmp.filePath("run").toStdString();
    auto config = repeatedExperiment(", repeat_teacher: true");
    config.train.repeats = 2;
    const auto result = runTo(config, dir);
    QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());
    const auto points = readMetrics(dir);
    QVERIFY(std::isfinite(valueAt(points, "teacher", metric::kTrainLoss, 20, 1)));
    QVERIFY(std::isfinite(valueAt(points, "teacher", metric::kTrainLoss, 20, 2)));
    QVERIFY(std::filesystem::exists(dir + "/checkpoints/repeat-2/teacher.pt"));
    const auto& teacher = modelNamed(result.models, "teacher");
    QCOMPARE(teacher.repeats.size(), size_t(2));
    QVERIFY(teacher.repeats[0].valLoss != teacher.repeats[1].valLoss);
  }

  void stoppedInALaterRepeatResumesToTheSameNumbers() {
    QTemporaryDir tmp;
    const std::string whole = tmp.filePath("whole").toStdString(),
                      pieces = tmp.filePath("pieces").toStdString();
    const auto config = repeatedExperiment();
    const auto reference = runTo(config, whole);
    QVERIFY2(reference.status == RunResult::Status::Completed, reference.error.c_str());
    QVERIFY(runTo(config, pieces, 2, 12).status == RunResult::Status::Cancelled);
    const auto point = findResumePoint(pieces);
    QVERIFY(point.has_value());
    QCOMPARE(point->step, 12);
    RunControl control;
    StopInRepeat observer(control, 0, 0);
    RunOptions options;
    options.measureSpeed = false;
    const auto resumed = resumeExperiment(pieces, options, observer, control);
    QVERIFY2(resumed.status == RunResult::Status::Completed, resumed.error.c_str());
    QCOMPARE(observer.repeatsSeen, (std::set<int>{2, 3}));
    for (const auto& expected : reference.models) {
      const auto& actual = modelNamed(resumed.models, expected.name);
      QCOMPARE(actual.repeats.size(), expected.repeats.size());
      for (size_t r = 0; r < expected.repeats.size(); ++r)
        QVERIFY2(actual.repeats[r].valLoss == expected.repeats[r].valLoss,
                 qPrintable(QString("%1 repeat %2").arg(expected.name.c_str()).arg(r + 1)));
    }
    QCOMPARE(readMetrics(pieces).size(), readMetrics(whole).size());
  }
};

QTEST_GUILESS_MAIN(TestRepeats)
#include "tst_repeats.moc"
