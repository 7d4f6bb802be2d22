// The Sweep tab offscreen: a sweep defined from the form runs, its trial rows appear live, a
// selected trial's curves reach the charts, the plots draw every trial; the runs panel lists the
// trials, compares them key by key and keeps tags and notes.
#include <qcustomplot.h>

#include <QtTest>
#include <QtWidgets>

#include "compare_runs_dialog.h"
#include "distill/run_notes.h"
#include "experiment_form.h"
#include "main_window.h"
#include "runs_panel.h"
#include "sweep/sweep_controller.h"
#include "sweep/sweep_definition_editor.h"
#include "sweep/sweep_plots.h"
#include "sweep/sweep_tab.h"
#include "sweep/trial_table_model.h"
#include "training_charts.h"
#include "ui_test_support.h"

using namespace distill;

class TestSweepTab : public QObject {
  Q_OBJECT

private slots:
  // Trials with repeats: the objective is their mean, shown with its sd; a student's gap carries
  // the paired verdict, its tooltip the interval.
  void theTrialTableShowsMeanSdAndVerdictOverRepeats() {
    auto modelWith = [](const std::string& name, ModelRole role, std::vector<double> losses) {
      ModelSummary m;
      m.name = name;
      m.role = role;
      for (size_t i = 0; i < losses.size(); ++i) {
        RepeatOutcome o;
        o.repeat = static_cast<int>(i) + 1;
        o.valLoss = losses[i];
        m.repeats.push_back(o);
      }
      m.valLoss = spreadOf(m.repeats, &RepeatOutcome::valLoss).mean;
      return m;
    };
    SweepDefinition definition;
    definition.objective.model = "a-kd";
    SweepTrial trial;
    trial.status = SweepTrial::Status::Completed;
    trial.models = {modelWith("teacher", ModelRole::Teacher, {}),
                    modelWith("a-kd", ModelRole::Distilled, {3.0, 3.2, 2.8}),
                    modelWith("a-scratch", ModelRole::Scratch, {3.5, 3.6, 3.4})};
    trial.models[0].valLoss = 2.0;
    trial.objective = 3.0;
    TrialTableModel model;
    model.reset(definition, {trial});
    QCOMPARE(model.index(0, model.objectiveColumn()).data().toString(), QString::fromUtf8("3.0000 ± 0.2000"));
    const QModelIndex gap = model.index(0, model.objectiveColumn() + 1);
    QCOMPARE(gap.data().toString(), QString("33.3 % (distillation wins)"));  // differences -0.5, -0.4, -0.6
    QVERIFY(gap.data(Qt::ToolTipRole).toString().contains("over 3 repeats"));
  }

  void aSweepDefinedFromTheFormRunsAndShowsItsTrials() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    window.setExperiment(tinyUiExperiment(30));
    SweepTab* tab = window.sweepTab();
    QVERIFY(!tab->problems().isEmpty());  // nothing to sweep yet
    QVERIFY(!tab->startButton()->isEnabled());

    // Right-click → Sweep… on the form's temperature field.
    window.form()->sweepField("distill.temperature");
    QCOMPARE(window.viewTabs()->currentWidget(), tab);
    auto* params = tab->editor()->parameterTable();
    QCOMPARE(params->rowCount(), 1);
    QCOMPARE(params->item(0, 0)->text(), QString("distill.temperature"));
    QCOMPARE(params->item(0, 2)->text(), QString("2"));
    params->item(0, 2)->setText("1, 4");  // values for the grid
    QVERIFY2(tab->problems().isEmpty(), qPrintable(tab->problems().join("\n")));

    // A value out of range is refused with its key before anything runs.
    params->item(0, 2)->setText("1, -4");
    QVERIFY(!tab->problems().isEmpty());
    QVERIFY2(tab->problems().join("\n").contains("distill.temperature"),
             qPrintable(tab->problems().join("\n")));
    QVERIFY(!tab->startButton()->isEnabled());
    params->item(0, 2)->setText("1, 4");

    QSignalSpy finished(tab->controller(), &SweepController::finished);
    tab->start();
    QVERIFY(!window.startAction()->isEnabled());                          // one kind of work at a time
    QTRY_VERIFY_WITH_TIMEOUT(tab->trialModel()->rowCount() >= 1, 30000);  // rows appear while it runs
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    const auto result = finished.front().front().value<SweepResult>();
    QCOMPARE(result.status, SweepResult::Status::Completed);
    QCOMPARE(tab->trialModel()->rowCount(), 3);  // baseline + two values
    for (const auto& t : tab->trialModel()->trials()) QCOMPARE(t.status, SweepTrial::Status::Completed);
    QVERIFY(tab->trialModel()->bestTrial() >= 0);
    QTRY_COMPARE(tab->parallelPlot()->lineCount(), 3);
    QCOMPARE(tab->scatterPlot()->panelCount(), 1);

    // Selecting a trial draws its curves in Training curves.
    window.charts()->clearRun(QString());
    tab->selectTrial(1);
    QTRY_VERIFY_WITH_TIMEOUT(window.charts()->store().find({"", "tf-kd", "train/loss"}) != nullptr, 10000);
    QVERIFY2(window.onScreenText().contains("trial-001"), qPrintable(window.onScreenText()));
    // A second selected trial is overlaid beside it, under its folder's name.
    int other = 0;
    while (tab->trialProxy()->index(other, 0).data(TrialTableModel::kTrialIdRole).toInt() == 1) ++other;
    tab->trialTable()->selectionModel()->select(tab->trialProxy()->index(other, 0),
                                                QItemSelectionModel::Select | QItemSelectionModel::Rows);
    auto overlaid = [&] {
      for (const auto& key : window.charts()->store().keys())
        if (key.run.startsWith("trial-")) return true;
      return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(overlaid(), 10000);

    // A finished sweep's table: best first.
    QCOMPARE(tab->trialProxy()->index(0, 0).data(TrialTableModel::kTrialIdRole).toInt(),
             tab->trialModel()->bestTrial());
    tab->trialProxy()->setFilterFixedString("baseline");
    QCOMPARE(tab->trialProxy()->rowCount(), 1);
  }

  void aStoppedSweepResumesFromTheTab() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    window.setExperiment(tinyUiExperiment(400));
    SweepTab* tab = window.sweepTab();
    window.form()->sweepField("distill.alpha");
    tab->editor()->parameterTable()->item(0, 2)->setText("0.3");
    QSignalSpy finished(tab->controller(), &SweepController::finished);
    QSignalSpy progress(tab->controller(), &SweepController::trialProgress);
    tab->start();
    // Stop while the first trial's students train.
    QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && progress.last().at(0).toInt() >= 0, 60000);
    tab->stop();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    QCOMPARE(finished.front().front().value<SweepResult>().status, SweepResult::Status::Stopped);
    QVERIFY(tab->resumeButton()->isEnabled());
    tab->resumeShownSweep();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 120000);
    const auto done = finished.last().front().value<SweepResult>();
    QCOMPARE(done.status, SweepResult::Status::Completed);
    QCOMPARE(done.trials.size(), size_t(2));
    QCOMPARE(tab->trialModel()->rowCount(), 2);
    QVERIFY(!tab->resumeButton()->isEnabled());
  }

  void theRunsPanelListsComparesAndNotesTrials() {
    QTemporaryDir runs;
    MainWindow window(runs.path());
    window.setExperiment(tinyUiExperiment(20));
    SweepTab* tab = window.sweepTab();
    window.form()->sweepField("distill.alpha");
    tab->editor()->parameterTable()->item(0, 2)->setText("0.2");
    // Saving the experiment keeps the sweep in the file's sweep: section.
    const QString saved = runs.filePath("with_sweep.yaml");
    QVERIFY(window.saveExperiment(saved));
    const auto reread = loadSweepFile(saved.toStdString());
    QVERIFY(reread.hasSweep);
    QCOMPARE(reread.sweep.parameters.size(), size_t(1));
    QCOMPARE(reread.sweep.parameters[0].key, std::string("distill.alpha"));
    QCOMPARE(reread.sweep.parameters[0].values, std::vector<std::string>{"0.2"});
    QSignalSpy finished(tab->controller(), &SweepController::finished);
    tab->start();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);

    RunsPanel* panel = window.runsPanel();
    panel->refresh();
    QTRY_VERIFY(!panel->isLoading());
    // The shared teacher's run and both trials, named with their sweep.
    QCOMPARE(panel->runCount(), 3);
    QStringList trials;
    for (int i = 0; i < panel->runCount(); ++i) {
      auto* item = panel->tree()->topLevelItem(i);
      if (item->text(0).contains("/trial-")) {
        trials << item->data(0, Qt::UserRole).toString();
        item->setSelected(true);
      }
    }
    QCOMPARE(trials.size(), 2);
    panel->compareSelected();
    QTRY_VERIFY(panel->comparison() != nullptr);
    auto* table = panel->comparison()->table();
    QStringList keys;
    for (int row = 0; row < table->rowCount(); ++row) keys << table->verticalHeaderItem(row)->text();
    QVERIFY2(keys.contains("distill.alpha"), qPrintable(keys.join(", ")));
    QVERIFY2(!keys.contains("train.steps"), qPrintable(keys.join(", ")));  // only what differs

    RunNotes notes;
    notes.tags = {"low-alpha", "sweep"};
    notes.note = "alpha 0.2 against the baseline";
    QVERIFY(panel->setNotes(trials.front(), notes));
    QCOMPARE(readRunNotes(trials.front().toStdString()).tags, notes.tags);
    panel->refresh();
    QTRY_VERIFY(!panel->isLoading());
    bool shown = false;
    for (int i = 0; i < panel->runCount(); ++i) {
      auto* item = panel->tree()->topLevelItem(i);
      if (item->data(0, Qt::UserRole).toString() == trials.front())
        shown = item->text(RunsPanel::kTags) == "low-alpha, sweep" &&
                item->toolTip(RunsPanel::kTags) == "alpha 0.2 against the baseline";
    }
    QVERIFY(shown);
  }
};

QTEST_MAIN(TestSweepTab)
#include "tst_sweep_tab.moc"
