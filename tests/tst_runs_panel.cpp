// The runs table: per distilled student, Δ val loss against its scratch twin and the share of the
// teacher–scratch gap it recovered; untrained models say so instead of showing numbers.
#include <QtTest>
#include <QtWidgets>

#include "runs_panel.h"

using namespace distill;

namespace {

void writeFile(const QString& path, const QByteArray& text) {
  QFile file(path);
  QVERIFY(file.open(QIODevice::WriteOnly));
  file.write(text);
}

QTreeWidgetItem* modelRow(QTreeWidget* tree, const QString& name) {
  for (int i = 0; i < tree->topLevelItemCount(); ++i)
    for (int j = 0; j < tree->topLevelItem(i)->childCount(); ++j)
      if (tree->topLevelItem(i)->child(j)->text(RunsPanel::kName) == name)
        return tree->topLevelItem(i)->child(j);
  return nullptr;
}

}  // namespace

class TestRunsPanel : public QObject {
  Q_OBJECT
private slots:
  void distilledStudentsShowTheirGainOverTheTwin() {
    QTemporaryDir root;
    QDir(root.path()).mkdir("run1");
    writeFile(root.filePath("run1/config.yaml"), "name: t\n");
    writeFile(root.filePath("run1/summary.json"), R"({"experiment": "t", "status": "completed", "models": {
      "teacher":   {"role": "teacher",   "arch": "transformer", "params": 1000, "steps": 10, "trained": true, "val_loss": 3.0},
      "a-kd":      {"role": "distilled", "arch": "lstm", "params": 100, "steps": 10, "trained": true, "val_loss": 3.5},
      "a-scratch": {"role": "scratch",   "arch": "lstm", "params": 100, "steps": 10, "trained": true, "val_loss": 4.0},
      "b-kd":      {"role": "distilled", "arch": "gru",  "params": 100, "steps": 10, "trained": true, "val_loss": 4.17371},
      "b-scratch": {"role": "scratch",   "arch": "gru",  "params": 100, "steps": 10, "trained": true, "val_loss": 4.17368}}})");
    RunsPanel panel;
    panel.setRoot(root.path());
    QTRY_VERIFY(!panel.isLoading());  // read on a background thread
    auto* a = modelRow(panel.tree(), "a-kd");
    QVERIFY(a);
    QCOMPARE(a->text(RunsPanel::kDelta), QString("-0.5000 (distillation wins)"));
    QCOMPARE(a->text(RunsPanel::kGapRecovered), QString("50 %"));
    // A difference that rounds to zero is a tie, not a win.
    QVERIFY(modelRow(panel.tree(), "b-kd")->text(RunsPanel::kDelta).contains("(tie)"));
    QCOMPARE(modelRow(panel.tree(), "b-kd")->text(RunsPanel::kGapRecovered), QString("0 %"));  // not "-0 %"
    QVERIFY(modelRow(panel.tree(), "a-scratch")->text(RunsPanel::kDelta).isEmpty());
  }

  // Over repeats: mean ± sd, and the verdict of the paired interval (a mean gain within the noise
  // of the seeds is "no clear difference").
  void aRunWithRepeatsShowsMeanSdAndThePairedVerdict() {
    QTemporaryDir root;
    QDir(root.path()).mkdir("run1");
    writeFile(root.filePath("run1/config.yaml"), "name: t\n");
    const char* kd =
        R"([{"repeat": 1, "val_loss": 3.0}, {"repeat": 2, "val_loss": 3.2}, {"repeat": 3, "val_loss": 2.8}])";
    const char* scratch =
        R"([{"repeat": 1, "val_loss": 3.1}, {"repeat": 2, "val_loss": 3.0}, {"repeat": 3, "val_loss": 3.0}])";
    writeFile(root.filePath("run1/summary.json"),
              QString(R"({"experiment": "t", "status": "completed", "models": {
      "teacher":   {"role": "teacher", "arch": "transformer", "params": 1000, "steps": 10, "val_loss": 2.0},
      "a-kd":      {"role": "distilled", "arch": "lstm", "params": 100, "steps": 10, "val_loss": 3.0, "repeats": %1},
      "a-scratch": {"role": "scratch", "arch": "lstm", "params": 100, "steps": 10, "val_loss": 3.0333333, "repeats": %2}}})")
                  .arg(kd, scratch)
                  .toUtf8());
    RunsPanel panel;
    panel.setRoot(root.path());
    QTRY_VERIFY(!panel.isLoading());
    auto* a = modelRow(panel.tree(), "a-kd");
    QVERIFY(a);
    QCOMPARE(a->text(RunsPanel::kValLoss), QString::fromUtf8("3.0000 ± 0.2000"));
    // Differences -0.1, 0.2, -0.2: mean -0.0333, an interval across zero.
    QVERIFY2(a->text(RunsPanel::kDelta).startsWith("-0.0333 [") &&
                 a->text(RunsPanel::kDelta).endsWith("(no clear difference)"),
             qPrintable(a->text(RunsPanel::kDelta)));
    QVERIFY(a->toolTip(RunsPanel::kDelta).contains("paired by seed over 3 repeats"));
  }

  // The selected run's run.json below the table; a run without one says so.
  void theDetailsPaneShowsTheSelectedRunsProvenance() {
    QTemporaryDir root;
    for (const char* name : {"new", "old"}) {
      QDir(root.path()).mkdir(name);
      writeFile(root.filePath(QString(name) + "/config.yaml"), "name: t\n");
      writeFile(root.filePath(QString(name) + "/summary.json"),
                R"({"experiment": "t", "status": "completed", "models": {}})");
    }
    writeFile(root.filePath("new/run.json"),
              R"({"build": {"version": "0.1.0"}, "machine": {"host": "lab-7"}, "seed": 5})");
    RunsPanel panel;
    panel.setRoot(root.path());
    QTRY_VERIFY(!panel.isLoading());
    auto* details = panel.findChild<QTreeWidget*>("runDetails");
    QVERIFY(details);
    auto select = [&](const QString& name) {
      for (int i = 0; i < panel.tree()->topLevelItemCount(); ++i) {
        auto* item = panel.tree()->topLevelItem(i);
        item->setSelected(item->text(0) == name);
      }
    };
    select("new");
    QCOMPARE(details->topLevelItemCount(), 3);
    QCOMPARE(details->topLevelItem(1)->text(0), QString("machine.host"));
    QCOMPARE(details->topLevelItem(1)->text(1), QString("lab-7"));
    select("old");
    QCOMPARE(details->topLevelItemCount(), 1);
    QVERIFY(details->topLevelItem(0)->text(0).contains("no run.json"));
    // An opened run is selected for the user (asked while the table still loads, too).
    panel.refresh();
    panel.selectRun(root.filePath("new"));
    QTRY_VERIFY(!panel.isLoading());
    QTRY_COMPARE(details->topLevelItemCount(), 3);
  }

  // Run folders share their experiment's name and differ in the time stamp at the end: a narrow
  // column cuts the middle, and the full path is in the tooltip.
  void runNamesKeepTheirTimeStamp() {
    QTemporaryDir root;
    const QString name = "shakespeare_char_with_a_long_name-20261203-024949";
    QDir(root.path()).mkdir(name);
    writeFile(root.filePath(name + "/config.yaml"), "name: t\n");
    RunsPanel panel;
    panel.setRoot(root.path());
    QTRY_VERIFY(!panel.isLoading());  // read on a background thread
    QCOMPARE(panel.tree()->textElideMode(), Qt::ElideMiddle);
    auto* row = panel.tree()->topLevelItem(0);
    QVERIFY(row);
    QCOMPARE(row->toolTip(RunsPanel::kName), root.filePath(name));
    const QString shown = panel.tree()->fontMetrics().elidedText(row->text(RunsPanel::kName),
                                                                 panel.tree()->textElideMode(), 150);
    QVERIFY2(shown.endsWith("024949"), qPrintable(shown));
  }

  // setRoot and Refresh return at once; the folders are read on another thread.
  void runFoldersAreReadOffTheGuiThread() {
    QTemporaryDir root;
    for (int i = 0; i < 50; ++i) {
      QDir(root.path()).mkdir(QString("run%1").arg(i));
      writeFile(root.filePath(QString("run%1/config.yaml").arg(i)), "name: t\n");
    }
    RunsPanel panel;
    QSignalSpy refreshed(&panel, &RunsPanel::refreshed);
    panel.setRoot(root.path());
    QVERIFY(panel.isLoading());
    QCOMPARE(panel.tree()->topLevelItemCount(), 0);
    QTRY_COMPARE(refreshed.count(), 1);
    QVERIFY(!panel.isLoading());
    QCOMPARE(panel.tree()->topLevelItemCount(), 50);
  }

  void eachRunShowsItsSizeOnDisk() {
    QTemporaryDir root;
    QDir(root.path()).mkpath("run1/checkpoints");
    writeFile(root.filePath("run1/config.yaml"), "name: t\n");
    writeFile(root.filePath("run1/checkpoints/teacher.pt"), QByteArray(2'500'000, 'x'));
    RunsPanel panel;
    panel.setRoot(root.path());
    QTRY_VERIFY(!panel.isLoading());  // read on a background thread
    // 2,500,000 + 8 bytes, in SI units as file managers show them.
    QCOMPARE(panel.tree()->topLevelItem(0)->text(RunsPanel::kSize), QString("2.5 MB"));
  }

  void untrainedStudentsAreNotTrainedNotPerfect() {
    QTemporaryDir root;
    QDir(root.path()).mkdir("run1");
    writeFile(root.filePath("run1/config.yaml"), "name: t\n");
    writeFile(root.filePath("run1/summary.json"), R"({"experiment": "t", "status": "cancelled", "models": {
      "teacher":   {"role": "teacher",   "arch": "transformer", "params": 1000, "steps": 3, "trained": true, "val_loss": 4.1},
      "a-kd":      {"role": "distilled", "arch": "lstm", "params": 100, "steps": 0, "trained": false, "val_loss": null, "agreement": null},
      "a-scratch": {"role": "scratch",   "arch": "lstm", "params": 100, "steps": 0, "trained": false, "val_loss": null, "agreement": null}}})");
    RunsPanel panel;
    panel.setRoot(root.path());
    QTRY_VERIFY(!panel.isLoading());  // read on a background thread
    auto* kd = modelRow(panel.tree(), "a-kd");
    QVERIFY(kd);
    QCOMPARE(kd->text(RunsPanel::kRole), QString("distilled, not trained"));
    QCOMPARE(kd->text(RunsPanel::kValLoss), QString("—"));
    QCOMPARE(kd->text(RunsPanel::kAgreement), QString("—"));
    QCOMPARE(kd->text(RunsPanel::kDelta), QString("—"));
  }
};

QTEST_MAIN(TestRunsPanel)
#include "tst_runs_panel.moc"
