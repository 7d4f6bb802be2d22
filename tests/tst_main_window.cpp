// The window drives a real run: start → live points → pause → resume → stop, and closing mid-run.
#include <qcustomplot.h>

#include <QtTest>
#include <QtWidgets>

#include "distill/distributed.h"
#include "distill/run_reader.h"
#include "experiment_form.h"
#include "main_window.h"
#include "run_controller.h"
#include "runs_panel.h"
#include "sample_panel.h"
#include "training_charts.h"
#include "ui_test_support.h"
#include "yaml_pane.h"

using namespace distill;

namespace {

/// Answers the next modal message box by clicking the button with `text` (its question is kept).
void answerNextMessageBox(const QString& text, QString* question = nullptr) {
  QTimer::singleShot(0, [text, question] {
    auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
    if (!box) {
      answerNextMessageBox(text, question);  // not shown yet
      return;
    }
    if (question) *question = box->text();
    for (auto* button : box->buttons())
      if (button->text() == text) button->click();
  });
}

QString writeText(const QTemporaryDir& dir, const QString& name, const QByteArray& text) {
  QFile file(dir.filePath(name));
  if (!file.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(file.fileName()));
  file.write(text);
  return file.fileName();
}

QByteArray readText(const QString& path) {
  QFile file(path);
  return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

constexpr char kAuthoredExperiment[] =
    "# my experiment: one small student\n"
    "name: authored\n"
    "data:\n"
    "  block_size: 16\n"
    "teacher:\n"
    "  layers: 1\n"
    "  heads: 2\n"
    "  embd: 16\n"
    "students:\n"
    "  - name: tf\n"
    "    layers: 1\n"
    "    heads: 2\n"
    "    embd: 8\n"
    "train:\n"
    "  steps: 300   # enough for a first look\n"
    "  lr: 1.0e-3\n"
    "  batch_size: 4\n";

}  // namespace

class TestMainWindow : public QObject {
  Q_OBJECT
private slots:
  void initTestCase() { qRegisterMetaType<distill::RunResult>(); }

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
    QVERIFY(window.charts()->drawnPoints(TrainingCharts::TrainLoss) >=
            4 * 20);  // four students, no teacher training
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
    // Closing mid-run asks first; "Keep running" keeps the window and the run.
    QString question;
    answerNextMessageBox("Keep running", &question);
    QVERIFY(!window->close());
    QVERIFY(question.contains("stops the run"));
    QVERIFY(window->isVisible());
    QVERIFY(window->controller()->isRunning());
    answerNextMessageBox("Stop and close");
    QVERIFY(window->close());
    QVERIFY(!window->controller()->isRunning());
    delete window;
    // The stopped run left its checkpoints and a summary saying so.
    auto dirs = QDir(runs.path()).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    dirs.removeAll("token-cache");  // the corpus, tokenized once for every run of this root
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
    auto* tree = window.runsPanel()->tree();
    auto* resume = window.findChild<QPushButton*>("resumeRun");
    QVERIFY(tree && resume);
    QTRY_COMPARE(tree->topLevelItemCount(), 1);  // the panel reads run folders in the background
    QTRY_VERIFY(!window.runsPanel()->isLoading());
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
    QTRY_VERIFY(!window.runsPanel()->isLoading());
    QTRY_COMPARE(tree->topLevelItem(0)->text(1), QString("completed"));
    tree->topLevelItem(0)->setSelected(false);
    tree->topLevelItem(0)->setSelected(true);
    QVERIFY(!resume->isEnabled());  // completed now
  }

  void aTwoProcessRunPlotsLivePausesAndStops() {
    if (!distill::distributedSupported())
      QSKIP("this build has no c10d with Gloo (Debian: libgloo-dev; a PyPI LibTorch ships no Gloo headers)");
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

  void theYamlTabIsReadOnlyDuringARun() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    window.setExperiment(tinyUiExperiment(1000000));
    QVERIFY(!window.yamlPane()->editor()->isReadOnly());
    QSignalSpy finished(window.controller(), &RunController::finished);
    window.start();
    QVERIFY(window.yamlPane()->editor()->isReadOnly());
    window.togglePause();
    // Typing into it changes nothing: the run and the form keep their values.
    const QString text = window.yamlPane()->text();
    QTest::keyClicks(window.yamlPane()->editor(), "x");
    QCOMPARE(window.yamlPane()->text(), text);
    // A live setting changed in the form reaches the YAML as well: one path.
    window.form()->findChild<QDoubleSpinBox*>("train.lr")->setValue(0.0005);
    QVERIFY(window.yamlPane()->text().contains("lr: 0.0005"));
    window.stop();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
    QVERIFY(!window.yamlPane()->editor()->isReadOnly());
  }

  void invalidYamlLocksTheFormAndStartSaysWhere() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    window.setExperiment(tinyUiExperiment(100));
    const QString broken = window.yamlPane()->text().replace("batch_size: 4", "batch_size: [4");
    window.yamlPane()->setText(broken);
    window.yamlPane()->parseNow();
    QVERIFY(!window.startAction()->isEnabled());
    const QString tip = window.startAction()->toolTip();
    QVERIFY2(tip.contains("line ") && tip.contains("column "), qPrintable(tip));
    // The form shows the problem and is locked, so no edit of it can replace the text.
    QVERIFY(window.form()->isLocked());
    auto* shown = window.form()->findChild<QLabel*>("formProblems");
    QVERIFY(shown && shown->isVisibleTo(window.form()));
    QVERIFY2(shown->text().contains("line "), qPrintable(shown->text()));
    auto* steps = window.form()->findChild<QSpinBox*>("train.steps");
    QVERIFY(!steps->isEnabled() || !steps->isVisibleTo(window.form()));
    steps->setValue(7);  // even programmatically, the text stays the user's
    QCOMPARE(window.yamlPane()->text(), broken);
  }

  void openingABrokenFileKeepsTheExperimentAndSaysWhere() {
    QTemporaryDir dir;
    MainWindow window(dir.path());
    const QString good = writeText(dir, "good.yaml", kAuthoredExperiment);
    QVERIFY(window.openExperiment(good));
    QVERIFY(window.windowTitle().startsWith("good.yaml"));
    const QString bad = writeText(dir, "bad.yaml", "name: bad\ntrain:\n  steps: [12\n");
    QVERIFY(!window.openExperiment(bad));
    QVERIFY(window.windowTitle().startsWith("good.yaml"));
    QCOMPARE(window.form()->config().name, std::string("authored"));
    QVERIFY(window.yamlPane()->text().contains("# my experiment"));
    const QString banner = window.bannerText();
    QVERIFY2(QRegularExpression("bad\\.yaml:\\d+:\\d+: ").match(banner).hasMatch(), qPrintable(banner));
  }

  void saveKeepsTheFileAsItsAuthorWroteIt() {
    QTemporaryDir dir;
    MainWindow window(dir.path());
    const QString path = writeText(dir, "mine.yaml", kAuthoredExperiment);
    QVERIFY(window.openExperiment(path));
    window.form()->findChild<QSpinBox*>("train.steps")->setValue(500);
    QVERIFY(window.saveExperiment(path));
    const QByteArray saved = readText(path);
    QByteArray expected(kAuthoredExperiment);
    expected.replace("steps: 300", "steps: 500");
    QCOMPARE(saved, expected);  // comments, 1.0e-3 and the unnamed defaults as they were
    QVERIFY(!window.yamlPane()->authorTextLost());
    QVERIFY(loadExperimentFile(path.toStdString()).config.train.steps == 500);
  }

  void aRunStoppedInTheTeacherPhaseSaysItsStudentsWereNotTrained() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    window.setExperiment(tinyUiExperiment(1000000));
    QSignalSpy finished(window.controller(), &RunController::finished);
    window.start();
    QTRY_VERIFY_WITH_TIMEOUT(window.charts()->drawnPoints(TrainingCharts::TrainLoss) > 3, 20000);
    window.stop();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
    const QString banner = window.bannerText();
    QVERIFY2(banner.contains("teacher phase") && banner.contains("not trained"), qPrintable(banner));
    QVERIFY(!banner.contains("Compare the models' samples"));
    const auto result = finished.front().front().value<RunResult>();
    QVERIFY(!QFile::exists(QString::fromStdString(result.runDir) + "/checkpoints/tf-kd.pt"));
  }

  void theStatusBarTellsPausedThenThePhaseAgainAndDone() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    window.setExperiment(tinyUiExperiment(60));
    QSignalSpy finished(window.controller(), &RunController::finished);
    window.start();
    QTRY_VERIFY_WITH_TIMEOUT(window.phaseText().startsWith("Phase:"), 20000);
    window.togglePause();
    QCOMPARE(window.phaseText(), QString("Paused"));
    window.togglePause();
    QVERIFY2(window.phaseText().startsWith("Phase:"), qPrintable(window.phaseText()));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    QCOMPARE(window.phaseText(), QString("Completed"));
    QCOMPARE(window.progressText(), QString("done"));
  }

  // Stopped in the students' phase: the bar says where (not the "0 / 1" of the short phase after
  // it) and the status line keeps no ETA for a run that is over.
  void aStoppedRunSaysWhereItStoppedWithoutAnEta() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    auto config = tinyUiExperiment(20);
    config.train.student_steps = 1000000;
    window.setExperiment(config);
    QSignalSpy finished(window.controller(), &RunController::finished);
    window.start();
    QTRY_VERIFY_WITH_TIMEOUT(window.throughputText().startsWith("students · step 3"), 60000);
    window.stop();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
    QCOMPARE(window.phaseText(), QString("Stopped"));
    QVERIFY2(window.progressText().startsWith("stopped at students step "),
             qPrintable(window.progressText()));
    QVERIFY2(window.progressText().endsWith(" / 1000000"), qPrintable(window.progressText()));
    QVERIFY2(!window.throughputText().contains("ETA"), qPrintable(window.throughputText()));
    QVERIFY2(window.throughputText().startsWith("last: students step "), qPrintable(window.throughputText()));
  }

  // After a run, with its banner above the charts and a run overlaid, every chart title keeps
  // the height its text needs (hidden legends used to squeeze the small charts' titles).
  void chartTitlesKeepTheirHeightWithABannerAndAnOverlay() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    window.resize(1500, 940);
    window.show();
    window.setExperiment(tinyUiExperiment(20));
    QSignalSpy finished(window.controller(), &RunController::finished);
    window.start();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    QVERIFY(!window.bannerText().isEmpty());
    window.overlayRun(QString::fromStdString(finished.front().front().value<RunResult>().runDir));
    window.charts()->flushReplots();
    for (int c = 0; c < TrainingCharts::ChartCount; ++c) {
      auto* plot = window.charts()->plot(static_cast<TrainingCharts::Chart>(c));
      auto* title = plot->plotLayout()->element(0, 0);
      QVERIFY2(title->outerRect().height() >= title->minimumOuterSizeHint().height(),
               qPrintable(QString("chart %1: title %2 px of %3")
                              .arg(c)
                              .arg(title->outerRect().height())
                              .arg(title->minimumOuterSizeHint().height())));
    }
  }

  void theQuickRunChoiceShortensTheRun() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    window.setExperiment(tinyUiExperiment(1000000));
    window.runLengthChoice()->setCurrentIndex(window.runLengthChoice()->findData(20));
    QSignalSpy finished(window.controller(), &RunController::finished);
    window.start();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    const auto result = finished.front().front().value<RunResult>();
    QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());
    for (const auto& m : result.models) QCOMPARE(m.steps, 20);
    // The experiment itself is unchanged: the preset applies to the run only.
    QCOMPARE(window.form()->config().train.steps, 1000000);
  }

  void theWindowSaysWhichRunIsShownAndWhichOneGenerates() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    window.setExperiment(tinyUiExperiment(20));
    QSignalSpy finished(window.controller(), &RunController::finished);
    window.start();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    const QString first = QString::fromStdString(finished.front().front().value<RunResult>().runDir);
    window.start();
    // A new run: the charts and Generate follow it at once, not the run before.
    QTRY_VERIFY_WITH_TIMEOUT(window.samplePanel()->runDirectory() != first, 20000);
    const QString second = window.samplePanel()->runDirectory();
    QVERIFY(window.onScreenText().contains(second));
    QVERIFY(window.onScreenText().contains("Generate samples from this run"));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 60000);
    // Runs -> Open shows the other run everywhere and drops the banner about the last one.
    QVERIFY(!window.bannerText().isEmpty());
    window.openRun(first);
    QVERIFY(window.onScreenText().contains(first));
    QCOMPARE(window.samplePanel()->runDirectory(), first);
    QVERIFY(window.bannerText().isEmpty());
    // Overlay shows its curves, tagged.
    window.viewTabs()->setCurrentIndex(2);
    window.overlayRun(second);
    QCOMPARE(window.viewTabs()->currentWidget(), static_cast<QWidget*>(window.charts()));
    QVERIFY(window.onScreenText().contains("overlaid"));
  }

  void theHelpMenuNamesTheVersions() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    QMenu* help = nullptr;
    for (auto* action : window.menuBar()->actions())
      if (action->text() == "&Help") help = action->menu();
    QVERIFY(help);
    QAction* about = nullptr;
    for (auto* action : help->actions())
      if (action->text() == "&About") about = action;
    QVERIFY(about);
    window.show();
    QString text;
    answerNextMessageBox("OK", &text);
    about->trigger();
    QVERIFY2(text.contains(QString("Qt ") + qVersion()) && text.contains("LibTorch "), qPrintable(text));
  }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
