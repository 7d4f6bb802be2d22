// Sample comparison: every model of a run generates into its own pane, with the teacher's view.
#include <QtTest>
#include <QtWidgets>

#include "distill/experiment.h"
#include "held_out_answers_view.h"
#include "sample_panel.h"
#include "token_view.h"
#include "ui_test_support.h"

using namespace distill;

class TestSamplePanel : public QObject {
  Q_OBJECT
private slots:
  void initTestCase() {
    QVERIFY(m_dir.isValid());
    RunObserver quiet;
    RunControl control;
    RunOptions options;
    options.outDir = m_dir.filePath("run").toStdString();
    const auto result = runExperiment(tinyUiExperiment(30), options, quiet, control);
    QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());
  }

  void generationFillsEveryPane() {
    ModelPalette palette;
    SamplePanel panel(&palette);
    panel.setRunDirectory(m_dir.filePath("run"));
    QSignalSpy done(&panel, &SamplePanel::generationFinished);
    panel.generate();
    QVERIFY(panel.isGenerating());
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 60000);
    // The experiment's order (tf before rnn), not the alphabet's; the teacher pinned above.
    const QStringList expected = {"teacher", "tf-kd", "tf-scratch", "rnn-kd", "rnn-scratch"};
    QCOMPARE(panel.shownModels(), expected);
    QVERIFY(panel.teacherIsPinned());
    for (const auto& model : expected) {
      auto* view = panel.viewFor(model);
      QVERIFY2(view->tokenCount() > 0, qPrintable(model));
      QVERIFY(view->toPlainText().startsWith("ROMEO:"));
      QVERIFY(view->tooltipFor(0).contains("teacher's top choices"));
      QVERIFY2(panel.statsFor(model).contains("perplexity under teacher"), qPrintable(panel.statsFor(model)));
    }
  }

  // An ensemble's teachers are pinned side by side; its first member shades every pane.
  void anEnsemblesTeachersArePinnedAndTheFirstShades() {
    auto config = tinyUiExperiment(20);
    TeacherConfig second;
    second.name = "rnn";
    second.model.arch = Arch::Gru;
    second.model.embd = 8;
    second.model.hidden = 8;
    config.teachers = {config.teacher, second};
    config.teachers.front().name = "tf";
    config.students.resize(1);
    QVERIFY(validateExperiment(config).empty());
    RunObserver quiet;
    RunControl control;
    RunOptions options;
    options.outDir = m_dir.filePath("ensemble").toStdString();
    const auto result = runExperiment(config, options, quiet, control);
    QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());
    ModelPalette palette;
    SamplePanel panel(&palette);
    panel.setRunDirectory(m_dir.filePath("ensemble"));
    QSignalSpy done(&panel, &SamplePanel::generationFinished);
    panel.generate();
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 60000);
    const QStringList expected = {"teacher-tf", "teacher-rnn", "tf-kd", "tf-scratch"};
    QCOMPARE(panel.shownModels(), expected);
    QVERIFY(panel.teacherIsPinned());
    for (const auto& model : expected)
      QVERIFY2(panel.statsFor(model).contains("perplexity under teacher-tf"),
               qPrintable(panel.statsFor(model)));
    QVERIFY(!panel.statsFor("teacher-rnn").contains("ROUGE-L vs teacher-tf —"));  // compared with the first
    QVERIFY(palette.color("teacher-tf") != palette.color("teacher-rnn"));
  }

  void onlyDifferencesComparesGreedyContinuations() {
    ModelPalette palette;
    SamplePanel panel(&palette);
    panel.setRunDirectory(m_dir.filePath("run"));
    QVERIFY(!panel.isGreedy());
    QSignalSpy done(&panel, &SamplePanel::generationFinished);
    panel.findChild<QCheckBox*>("onlyDifferences")->setChecked(true);
    // Sampled texts differ by chance after the first draw: it switches to greedy and regenerates.
    QVERIFY(panel.isGreedy());
    QVERIFY(panel.isGenerating());
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 60000);
  }

  void heldOutAnswersShowBesideTheReference() {
    ModelPalette palette;
    SamplePanel panel(&palette);
    panel.setRunDirectory(m_dir.filePath("run"));  // running text: no held-out answers
    QVERIFY(panel.heldOutView()->isHidden());
    QTemporaryDir answers;
    QFile file(answers.filePath("responses.jsonl"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(
        R"({"prompt": "reverse:ab=", "reference": "ba", "answers": [{"model": "teacher", "answer": "ba"}, )"
        R"({"model": "s-kd", "answer": "ba"}, {"model": "s-scratch", "answer": "ab"}]})"
        "\n"
        R"({"prompt": "reverse:xyz=", "reference": "zyx", "answers": [{"model": "teacher", "answer": "zyx"}, )"
        R"({"model": "s-kd", "answer": "zy"}, {"model": "s-scratch", "answer": "zyx"}]})"
        "\n");
    file.close();
    panel.setRunDirectory(answers.path());
    auto* view = panel.heldOutView();
    QVERIFY(!view->isHidden());
    auto* table = view->table();
    QCOMPARE(table->rowCount(), 2);
    QCOMPARE(table->columnCount(), 5);  // prompt, reference, then the run's models in its order
    QCOMPARE(table->horizontalHeaderItem(3)->text(), QString("s-kd"));
    QCOMPARE(table->item(1, 3)->text(), QString("zy"));
    QVERIFY(table->item(1, 3)->background() != table->item(1, 2)->background());  // wrong vs right
    const auto summary = view->findChild<QLabel*>("heldOutSummary")->text();
    QVERIFY2(summary.contains("teacher 100.0%") && summary.contains("s-kd 50.0%"), qPrintable(summary));
    emit table->cellDoubleClicked(1, 0);
    QCOMPARE(panel.promptEdit()->text(), QString("reverse:xyz="));
    QTRY_VERIFY_WITH_TIMEOUT(!panel.isGenerating(), 10000);
  }

  void trainingSamplesBrowseByStep() {
    ModelPalette palette;
    SamplePanel panel(&palette);
    panel.setTrainingSamples({{"teacher", 10, "A", "xyz"}, {"teacher", 20, "A", "later"}});
    auto* text = panel.findChild<QPlainTextEdit*>();
    QVERIFY(text->toPlainText().contains("later"));  // the newest step is shown
    auto* step = panel.findChild<QComboBox*>("trainingStep");
    step->setCurrentText("10");
    QVERIFY(text->toPlainText().contains("xyz"));
    QVERIFY(panel.findChild<QComboBox*>("repeat")->isHidden());  // a run trained once
  }

  // A run with repeats: the samples of one repeat at a time, the newest by default.
  void trainingSamplesOfAnyRepeat() {
    ModelPalette palette;
    SamplePanel panel(&palette);
    panel.setTrainingSamples({{"s-kd", 10, "A", "first seed", 1}, {"s-kd", 10, "A", "second seed", 2}});
    auto* text = panel.findChild<QPlainTextEdit*>();
    auto* repeat = panel.findChild<QComboBox*>("repeat");
    QVERIFY(!repeat->isHidden());
    QCOMPARE(repeat->count(), 2);
    QVERIFY(text->toPlainText().contains("second seed"));
    QVERIFY(!text->toPlainText().contains("first seed"));
    repeat->setCurrentIndex(0);
    QVERIFY(text->toPlainText().contains("first seed"));
    QVERIFY(!text->toPlainText().contains("second seed"));
  }

  void commonSubsequenceMarksDifferences() {
    auto tokens = [](const std::string& s) {
      std::vector<TokenScore> out;
      for (char c : s) out.push_back({std::string(1, c), 0.0, {}});
      return out;
    };
    const auto differs = tokensOutsideCommonSubsequence(tokens("abXc"), tokens("abc"));
    QCOMPARE(differs, (QVector<bool>{false, false, true, false}));
  }

private:
  QTemporaryDir m_dir;
};

QTEST_MAIN(TestSamplePanel)
#include "tst_sample_panel.moc"
