// The window drives a real run: start → live points → pause → resume → stop, and closing mid-run.
#include <qcustomplot.h>

#include <QtTest>
#include <QtWidgets>

#include "distill/run_reader.h"
#include "experiment_form.h"
#include "main_window.h"
#include "run_controller.h"
#include "training_charts.h"
#include "ui_test_support.h"

using namespace distill;

class TestMainWindow : public QObject {
  Q_OBJECT
private slots:
  void initTestCase() {
    qRegisterMetaType<distill::RunResult>();
  }

  void startPauseResumeStop() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    window.setExperiment(tinyUiExperiment(1000000));
    QVERIFY(window.startAction()->isEnabled());
    QSignalSpy finished(window.controller(), &RunController::finished);
    QSignalSpy batches(window.controller(), &RunController::metricsBatch);

    window.start();
    QVERIFY(window.controller()->isRunning());
    QVERIFY(!window.startAction()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(window.charts()->drawnPoints(TrainingCharts::TrainLoss) > 20, 20000);

    window.togglePause();
    QVERIFY(window.controller()->isPaused());
    QCOMPARE(window.pauseAction()->text(), QString("Resume"));
    QTest::qWait(300);  // the step in flight lands
    const int pausedPoints = window.charts()->drawnPoints(TrainingCharts::TrainLoss);
    QTest::qWait(400);
    QCOMPARE(window.charts()->drawnPoints(TrainingCharts::TrainLoss), pausedPoints);

    window.togglePause();
    QVERIFY(!window.controller()->isPaused());
    QTRY_VERIFY_WITH_TIMEOUT(window.charts()->drawnPoints(TrainingCharts::TrainLoss) > pausedPoints, 20000);

    window.stop();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
    QVERIFY(!window.controller()->isRunning());  // the worker thread was joined
    QVERIFY(window.startAction()->isEnabled());
    const auto result = finished.front().front().value<RunResult>();
    QVERIFY(result.status == RunResult::Status::Cancelled);
    QVERIFY(QFile::exists(QString::fromStdString(result.runDir) + "/checkpoints/teacher.pt"));
    // Metrics arrive batched by the drain timer, not one signal per value.
    QVERIFY(batches.count() < window.charts()->storedPoints() / 2);
  }

  void importedTeacherRunsToTheEnd() {
    // The shipped experiment (llama-tiny fixture teacher, bpe512 ids), shortened.
    auto loaded = loadExperimentFile(DISTILL_PROJECT_DIR "/experiments/hf_teacher.yaml",
                                     {"train.steps=20", "train.eval_interval=10", "train.eval_batches=1",
                                      "generate.max_new_tokens=8", "train.threads=1"});
    QVERIFY(loaded.ok());
    QTemporaryDir runs;
    MainWindow window(runs.path());
    window.setExperiment(loaded.config);
    QVERIFY2(window.form()->problems().isEmpty(), qPrintable(window.form()->problems().join(" | ")));
    QSignalSpy finished(window.controller(), &RunController::finished);
    window.start();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    const auto result = finished.front().front().value<RunResult>();
    QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());
    QCOMPARE(result.models.front().arch, std::string("llama"));
    QVERIFY(window.charts()->drawnPoints(TrainingCharts::TrainLoss) >= 4 * 20);  // four students, no teacher training
    QVERIFY(QFile::exists(QString::fromStdString(result.runDir) + "/checkpoints/half-kd.pt"));
  }

  void liveSettingsAreRecordedInTheRun() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    window.setExperiment(tinyUiExperiment(1000000));
    window.start();
    QTRY_VERIFY_WITH_TIMEOUT(window.charts()->drawnPoints(TrainingCharts::TrainLoss) > 5, 20000);
    auto* lr = window.form()->findChild<QDoubleSpinBox*>("train.lr");
    QVERIFY(lr->isEnabled());
    QVERIFY(!window.form()->findChild<QSpinBox*>("train.batch_size")->isEnabled());
    lr->setValue(0.0005);
    QTRY_VERIFY_WITH_TIMEOUT(window.charts()->store().find({"", "settings", "setting/lr"}) != nullptr, 20000);
    QCOMPARE(window.charts()->store().find({"", "settings", "setting/lr"})->values.front(), 0.0005);
    window.stop();
    QTRY_VERIFY_WITH_TIMEOUT(!window.controller()->isRunning(), 30000);
  }

  void secondStartIsRefused() {
    QTemporaryDir runs;
    RunController controller;
    QString why;
    QVERIFY(controller.start(tinyUiExperiment(1000000), runs.path(), &why));
    QVERIFY(!controller.start(tinyUiExperiment(10), runs.path(), &why));
    QVERIFY(why.contains("already"));
    controller.shutdown();
    QVERIFY(!controller.isRunning());
  }

  void closingMidRunStopsTheWorkerCleanly() {
    QTemporaryDir runs;
    auto* window = new MainWindow(runs.path());
    window->setExperiment(tinyUiExperiment(1000000));
    window->show();
    window->start();
    QTRY_VERIFY_WITH_TIMEOUT(window->charts()->drawnPoints(TrainingCharts::TrainLoss) > 5, 20000);
    QVERIFY(window->close());
    QVERIFY(!window->controller()->isRunning());
    delete window;
    // The stopped run left its checkpoints and a summary saying so.
    const auto dirs = QDir(runs.path()).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    QCOMPARE(dirs.size(), 1);
    QFile summary(runs.filePath(dirs.front() + "/summary.json"));
    QVERIFY(summary.open(QIODevice::ReadOnly));
    QVERIFY(summary.readAll().contains("\"cancelled\""));
    // ...and a resumable checkpoint at the step where it stopped.
    const auto point = findResumePoint(runs.filePath(dirs.front()).toStdString());
    QVERIFY(point.has_value());
    QVERIFY(point->step > 5);
  }

  void aStoppedRunResumesFromTheRunsPanel() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    window.setExperiment(tinyUiExperiment(100));
    QSignalSpy finished(window.controller(), &RunController::finished);
    window.start();
    QTRY_VERIFY_WITH_TIMEOUT(window.charts()->drawnPoints(TrainingCharts::TrainLoss) > 30, 20000);
    window.stop();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
    const QString dir = QString::fromStdString(finished.front().front().value<RunResult>().runDir);

    // The panel offers Resume for the stopped run.
    auto* tree = window.findChild<QTreeWidget*>();
    auto* resume = window.findChild<QPushButton*>("resumeRun");
    QVERIFY(tree && resume);
    QCOMPARE(tree->topLevelItemCount(), 1);
    tree->topLevelItem(0)->setSelected(true);
    QVERIFY(resume->isEnabled());
    resume->click();
    QVERIFY(window.controller()->isRunning());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 180000);  // generous: CI machines are shared
    const auto result = finished.back().front().value<RunResult>();
    QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());
    QCOMPARE(QString::fromStdString(result.runDir), dir);

    // Each curve is one curve: every step once, in order, across the stop.
    for (const char* model : {"teacher", "tf-kd", "rnn-scratch"}) {
      const auto* series = window.charts()->store().find({"", model, "train/loss"});
      QVERIFY(series);
      QCOMPARE(series->steps.size(), 100);
      for (int i = 0; i < series->steps.size(); ++i) QCOMPARE(series->steps[i], double(i + 1));
    }
    tree->topLevelItem(0)->setSelected(false);
    tree->topLevelItem(0)->setSelected(true);
    QVERIFY(!resume->isEnabled());  // completed now
  }

  void aTwoProcessRunPlotsLivePausesAndStops() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    window.setExperiment(tinyUiExperiment(1000000));
    auto* processes = window.form()->findChild<QSpinBox*>("train.processes");
    QVERIFY(processes);
    processes->setValue(2);  // as a user would: the form edits the experiment
    QSignalSpy finished(window.controller(), &RunController::finished);
    QSignalSpy progress(window.controller(), &RunController::progress);
    window.start();
    QVERIFY(window.controller()->isRunning());
    QTRY_VERIFY_WITH_TIMEOUT(window.charts()->drawnPoints(TrainingCharts::TrainLoss) > 20, 60000);
    QVERIFY(!progress.isEmpty());
    QCOMPARE(progress.back().front().value<ProgressInfo>().processes, 2);

    // Pause holds every rank (rank 0 keeps them waiting with a heartbeat), resume lets them go.
    window.togglePause();
    QTest::qWait(300);
    const int pausedPoints = window.charts()->drawnPoints(TrainingCharts::TrainLoss);
    QTest::qWait(1500);
    QCOMPARE(window.charts()->drawnPoints(TrainingCharts::TrainLoss), pausedPoints);
    window.togglePause();
    QTRY_VERIFY_WITH_TIMEOUT(window.charts()->drawnPoints(TrainingCharts::TrainLoss) > pausedPoints, 20000);

    window.stop();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    const auto result = finished.front().front().value<RunResult>();
    QVERIFY2(result.status == RunResult::Status::Cancelled, result.error.c_str());
    QCOMPARE(result.worldSize, 2);
    QFile world(QString::fromStdString(result.runDir) + "/distributed.json");
    QVERIFY(world.open(QIODevice::ReadOnly));
    QVERIFY(world.readAll().contains("\"world_size\": 2"));
  }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
