// Sweeps that train: a tiny experiment's trials through the engine API and the CLI. The teacher
// trains once per teacher setting, scratch twins are shared, a stopped or killed sweep resumes
// without redoing or duplicating a trial.
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cli_runner.h"
#include "distill/run_notes.h"
#include "distill/run_reader.h"
#include "distill/sweep.h"

using namespace distill;
namespace fs = std::filesystem;

namespace {

std::string tinySweep(const std::string& sweep) {
  return R"(name: tiny
data: {block_size: 16}
teacher: {layers: 1, heads: 2, embd: 32}
students:
  - {name: rnn, arch: gru, embd: 16, hidden: 16}
train: {steps: 40, batch_size: 8, lr: 0.01, warmup_steps: 5, eval_interval: 10, eval_batches: 2, checkpoint_interval: 10, threads: 1}
generate: {prompts: ["ROMEO:"], max_new_tokens: 8}
)" + sweep;
}

SweepFile parse(const std::string& text) {
  auto f = parseSweepFile(text, ".");
  if (!f.ok()) qFatal("invalid sweep: %s", f.problems.front().toString("tiny").c_str());
  return f;
}

class Watcher : public SweepObserver {
public:
  std::function<void(int, const ProgressInfo&)> onProgress;
  std::vector<std::string> messages;
  std::mutex mutex;
  void onTrialProgress(int id, const ProgressInfo& p) override {
    if (onProgress) onProgress(id, p);
  }
  void onMessage(const std::string& m) override {
    std::lock_guard<std::mutex> lock(mutex);
    messages.push_back(m);
  }
};

/// Runs a sweep of the tiny experiment in `tmp`/s to its end.
SweepResult runTinySweep(const QTemporaryDir& tmp, const std::string& sweep, int maxTrials = 0) {
  SweepOptions options;
  options.outDir = tmp.filePath("s").toStdString();
  options.maxTrials = maxTrials;
  Watcher watcher;
  SweepControl control;
  return runSweep(parse(tinySweep(sweep)), options, watcher, control);
}

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> csvRows(const std::string& dir) {
  std::istringstream csv(readText(dir + "/trials.csv"));
  std::vector<std::string> rows;
  std::string line;
  std::getline(csv, line);
  while (std::getline(csv, line)) rows.push_back(line);
  return rows;
}

std::set<std::string> trialIds(const std::vector<std::string>& rows) {
  std::set<std::string> ids;
  for (const auto& r : rows) ids.insert(r.substr(0, r.find(',')));
  return ids;
}

}  // namespace

class TestSweepRun : public QObject {
  Q_OBJECT

private slots:
  void teacherTrainsOnceAndScratchTwinsAreShared() {
    QTemporaryDir tmp;
    const auto result = runTinySweep(tmp, "sweep:\n  parameters:\n    distill.temperature: [1, 4]\n");
    QVERIFY2(result.status == SweepResult::Status::Completed, result.error.c_str());
    QCOMPARE(result.trials.size(), size_t(3));  // the baseline and two grid points
    QCOMPARE(result.teacherRuns.size(), size_t(1));
    QCOMPARE(result.teacherRuns[0].trials, 3);
    for (const auto& t : result.trials) {
      QCOMPARE(t.status, SweepTrial::Status::Completed);
      QCOMPARE(t.teacherRun, 0);
      // An ordinary run folder that loaded the shared teacher instead of training one.
      const auto config = loadExperimentFile(t.runDir + "/config.yaml");
      QCOMPARE(config.config.teacher.checkpoint, result.teacherRuns[0].checkpoint);
      QCOMPARE(readRunSummary(t.runDir).status, std::string("completed"));
      QVERIFY(!readMetrics(t.runDir).empty());
      std::set<std::string> models;
      for (const auto& m : t.models) models.insert(m.name);
      QVERIFY(models.count("rnn-kd"));
      QCOMPARE(models.count("rnn-scratch"), size_t(t.id == 0 ? 1 : 0));  // the scratch twin trains once
      if (t.id > 0) QCOMPARE(t.scratchFrom.at("rnn"), 0);
    }
    QCOMPARE(result.trials[1].values, (std::vector<std::string>{"1"}));
    // The runs list shows the sweep's runs (the teacher's and the trials'), each knowing its sweep.
    const auto listed = listRuns(tmp.path().toStdString());
    QCOMPARE(listed.size(), size_t(4));
    for (const auto& r : listed) QCOMPARE(r.sweep, result.dir);
    QCOMPARE(csvRows(result.dir).size(), size_t(3));
    QVERIFY(result.bestTrial >= 0);
  }

  // sweep.repeats: every trial repeats its students over seeds; its objective is their mean, and
  // a trial that borrowed its scratch twin still pairs with it by seed.
  void repeatedTrialsScoreTheMeanOfTheirRepeats() {
    QTemporaryDir tmp;
    const auto result =
        runTinySweep(tmp, "sweep:\n  repeats: 2\n  parameters:\n    distill.temperature: [4]\n");
    QVERIFY2(result.status == SweepResult::Status::Completed, result.error.c_str());
    QCOMPARE(result.teacherRuns.size(), size_t(1));  // the teacher is not repeated
    QCOMPARE(result.trials.size(), size_t(2));
    for (const auto& t : result.trials) {
      const ModelSummary* kd = t.model("rnn-kd");
      QVERIFY(kd);
      QCOMPARE(kd->repeats.size(), size_t(2));
      QCOMPARE(t.objective, spreadOf(kd->repeats, &RepeatOutcome::valLoss).mean);
      QVERIFY(std::isfinite(objectiveSpread(result.definition.objective, t)));
    }
    const auto twin = trialTwin(result.trials, result.trials[1], "rnn");  // borrowed from trial 0
    QVERIFY(twin.has_value());
    QCOMPARE(twin->paired.pairs, 2);
    QVERIFY(readText(result.dir + "/trials.csv").find(",objective,objective_sd,") != std::string::npos);
  }

  void oneTeacherPerDistinctTeacherSetting() {
    QTemporaryDir tmp;
    const auto result = runTinySweep(
        tmp, "sweep:\n  parameters:\n    teacher.embd: [16, 32]\n    distill.alpha: [0.3, 0.7]\n", 3);
    QVERIFY2(result.status == SweepResult::Status::Completed, result.error.c_str());
    // Baseline (embd 32), then (16, 0.3), (16, 0.7), (32, 0.3): two teacher settings.
    QCOMPARE(result.trials.size(), size_t(4));
    QCOMPARE(result.teacherRuns.size(), size_t(2));
    QCOMPARE(result.trials[0].teacherRun, result.trials[3].teacherRun);
    QCOMPARE(result.trials[1].teacherRun, result.trials[2].teacherRun);
    QVERIFY(result.trials[0].teacherRun != result.trials[1].teacherRun);
  }

  void aHopelessTrialStopsEarlyAndSaysWhy() {
    QTemporaryDir tmp;
    // alpha 1: the soft targets alone; at T = 50 they are nearly uniform and teach nothing.
    const auto result = runTinySweep(
        tmp,
        "distill: {alpha: 1.0}\nsweep:\n  early_stopping: {rule: median, min_trials: 2, grace_evals: 0}\n"
        "  parameters:\n    distill.temperature: [1, 50]\n");
    QVERIFY2(result.status == SweepResult::Status::Completed, result.error.c_str());
    QCOMPARE(result.trials[0].status, SweepTrial::Status::Completed);  // the baseline is never stopped
    QCOMPARE(result.trials[1].status, SweepTrial::Status::Completed);
    const auto& hopeless = result.trials[2];
    QCOMPARE(hopeless.status, SweepTrial::Status::Stopped);
    QVERIFY2(hopeless.stopReason.find("median rule") != std::string::npos, hopeless.stopReason.c_str());
    QVERIFY(hopeless.objectiveStep < 40);
    const auto notes = readRunNotes(hopeless.runDir);  // the run folder says why it was cancelled
    QCOMPARE(notes.tags, std::vector<std::string>{"stopped early"});
    QVERIFY(notes.note.find(hopeless.stopReason) != std::string::npos);
    QVERIFY(result.bestTrial != 2);
  }

  void aLaterTrialReadsTheLogitCacheAnEarlierOneWrote() {
    QTemporaryDir tmp;
    const auto result = runTinySweep(
        tmp, "distill: {cache_top_k: 8}\nsweep:\n  parameters:\n    distill.alpha: [0.3, 0.7]\n");
    QVERIFY2(result.status == SweepResult::Status::Completed, result.error.c_str());
    QCOMPARE(result.trials.size(), size_t(3));
    QVERIFY(fs::exists(result.trials[0].runDir + "/teacher_logits.cache"));
    for (size_t i = 1; i < result.trials.size(); ++i) {
      QVERIFY(!fs::exists(result.trials[i].runDir + "/teacher_logits.cache"));  // read the first trial's
      QCOMPARE(loadExperimentFile(result.trials[i].runDir + "/config.yaml").config.distill.cache_path,
               result.trials[0].runDir + "/teacher_logits.cache");
    }
  }

  void aStoppedSweepResumesWithoutRedoingATrial() {
    QTemporaryDir tmp;
    const auto file = parse(tinySweep("sweep:\n  parameters:\n    distill.alpha: [0.2, 0.5, 0.8]\n"));
    SweepOptions options;
    options.outDir = tmp.filePath("s").toStdString();
    Watcher watcher;
    SweepControl control;
    watcher.onProgress = [&](int id, const ProgressInfo& p) {
      if (id == 2 && p.phase == RunPhase::Students && p.step >= 25) control.stop();
    };
    auto first = runSweep(file, options, watcher, control);
    QCOMPARE(first.status, SweepResult::Status::Stopped);
    QCOMPARE(first.trials.size(), size_t(3));
    QCOMPARE(first.trials[2].status, SweepTrial::Status::Pending);
    const auto doneBefore = fs::last_write_time(first.trials[0].runDir + "/summary.json");

    Watcher again;
    SweepControl control2;
    const auto second = resumeSweep(first.dir, SweepOptions(), again, control2);
    QVERIFY2(second.status == SweepResult::Status::Completed, second.error.c_str());
    QCOMPARE(second.trials.size(), size_t(4));
    for (const auto& t : second.trials) QCOMPARE(t.status, SweepTrial::Status::Completed);
    QCOMPARE(fs::last_write_time(first.trials[0].runDir + "/summary.json"), doneBefore);  // not redone
    QVERIFY(std::find(again.messages.begin(), again.messages.end(),
                      "trial 2: resuming " + first.trials[2].runDir) != again.messages.end());
    QCOMPARE(second.teacherRuns.size(), size_t(1));
    const auto rows = csvRows(first.dir);
    QCOMPARE(rows.size(), size_t(4));
    QCOMPARE(trialIds(rows).size(), size_t(4));
  }

  void aKilledSweepResumesFromTheCommandLine() {
    QTemporaryDir tmp;
    const QString experiment =
        cli_runner::writeFile(tmp, "sweep.yaml",
                              QByteArray::fromStdString(tinySweep(
                                  "sweep:\n  strategy: random\n  max_trials: 4\n  seed: 5\n  parameters:\n"
                                  "    distill.temperature: {range: log_uniform, low: 0.5, high: 8}\n")));
    const QString dir = tmp.filePath("s");
    QProcess sweep;
    sweep.start(DISTILL_CLI_PATH, {"sweep", experiment, "--out", dir});
    QVERIFY(sweep.waitForStarted());
    // Kill it once a trial has finished, while the next trains.
    QTRY_VERIFY_WITH_TIMEOUT(
        readText(dir.toStdString() + "/trials.csv").find(",completed,") != std::string::npos, 120000);
    sweep.kill();
    sweep.waitForFinished();
    const auto killed = csvRows(dir.toStdString());

    const auto resumed = cli_runner::runCli({"sweep", "--resume", dir}, 300000);
    QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err + resumed.out));
    const auto rows = csvRows(dir.toStdString());
    QCOMPARE(rows.size(), size_t(5));
    QCOMPARE(trialIds(rows).size(), size_t(5));
    for (const auto& r : rows)
      QVERIFY2(r.find(",completed,") != std::string::npos || r.find(",stopped,") != std::string::npos,
               r.c_str());
    // Rows finished before the kill are unchanged.
    for (const auto& before : killed)
      if (before.find(",completed,") != std::string::npos)
        QVERIFY2(std::find(rows.begin(), rows.end(), before) != rows.end(), before.c_str());
    QVERIFY2(resumed.out.contains("teacher trained 1 time(s)"), qPrintable(resumed.out));
  }

  void cliRefusesABadSweepBeforeTraining() {
    QTemporaryDir tmp;
    const QString experiment = cli_runner::writeFile(
        tmp, "bad.yaml",
        QByteArray::fromStdString(tinySweep("sweep:\n  parameters:\n    distill.alpha: [0.5, 2]\n")));
    const auto r = cli_runner::runCli({"sweep", experiment, "--out", tmp.filePath("s")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("bad.yaml:10:26: sweep.parameters.distill.alpha:"), qPrintable(r.err));
    QVERIFY(!QFileInfo::exists(tmp.filePath("s")));
    const auto v = cli_runner::runCli({"validate", experiment});
    QCOMPARE(v.exitCode, 2);
  }
};

QTEST_GUILESS_MAIN(TestSweepRun)
#include "tst_sweep_run.moc"
