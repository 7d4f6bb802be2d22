// The experiment form: YAML sync both ways, inline problems, Start blocked while invalid.
#include <QLabel>
#include <QtTest>
#include <QtWidgets>

#include "experiment_form.h"
#include "main_window.h"
#include "yaml_pane.h"

using namespace distill;

class TestExperimentForm : public QObject {
  Q_OBJECT
private slots:
  void formRoundTripsAConfig() {
    ExperimentForm form;
    auto config = parseExperiment(
                      "students: [{name: a, arch: lstm, embd: 12, hidden: 20}, {name: b, layers: 3, heads: "
                      "2, embd: 10}]\n"
                      "data: {val_split: documents, text_field: body}\n"
                      "distill: {temperature: 3.5, alpha: 0.2}\ntrain: {steps: 77, lr: 0.002}\ngenerate: "
                      "{prompts: [\"X:\\n\", \"Y\"]}\n",
                      ".")
                      .config;
    form.setConfig(config);
    QCOMPARE(QString::fromStdString(experimentToYaml(form.config())),
             QString::fromStdString(experimentToYaml(config)));
  }

  // An ensemble's members (the first in the Teacher box, the others as rows) and how the students
  // combine them survive the form; adding a row makes an ensemble, removing it the one teacher again.
  void teachersEnsembleRoundTripsAndIsEdited() {
    ExperimentForm form;
    const auto config = parseExperiment(
                            "teachers:\n"
                            "  - {name: big, layers: 3, embd: 48, weight: 2}\n"
                            "  - {name: rnn, arch: gru, embd: 32, hidden: 64, dropout: 0.1}\n"
                            "  - {name: old, checkpoint: /tmp/old.pt}\n"
                            "distill: {ensemble: per_teacher}\n"
                            "students: [{name: a, distill: {teacher: rnn}}]\n",
                            ".")
                            .config;
    QVERIFY(config.ensemble());
    form.setConfig(config);
    QCOMPARE(QString::fromStdString(experimentToYaml(form.config())),
             QString::fromStdString(experimentToYaml(config)));
    auto* table = form.findChild<QTableWidget*>("teachers");
    QVERIFY(table);
    QCOMPARE(table->rowCount(), 2);
    form.setConfig(parseExperiment("students: [{name: a}]\n", ".").config);
    QVERIFY(!form.config().ensemble());
    QCOMPARE(table->rowCount(), 0);
    for (auto* button : form.findChildren<QPushButton*>())
      if (button->text() == "Add teacher") button->click();
    const auto ensemble = form.config();
    QCOMPARE(ensemble.teachers.size(), size_t(2));
    QCOMPARE(ensemble.teachers[1].name, std::string("2"));
    QVERIFY(validateExperiment(ensemble).empty());
    table->setCurrentCell(0, 0);
    for (auto* button : form.findChildren<QPushButton*>())
      if (button->text() == "Remove teacher") button->click();
    QVERIFY(!form.config().ensemble());
  }

  // A student's own tokenizer is edited on its page and survives the form.
  void studentTokenizerRoundTrips() {
    ExperimentForm form;
    const auto config =
        parseExperiment(
            "data: {tokenizer: /tok/bpe}\nstudents: [{name: a, tokenizer: char, distill: {loss: uld}}, "
            "{name: b}]\n",
            ".")
            .config;
    form.setConfig(config);
    QCOMPARE(QString::fromStdString(experimentToYaml(form.config())),
             QString::fromStdString(experimentToYaml(config)));
    auto boxes = form.findChildren<QComboBox*>("studentTokenizer");
    QCOMPARE(boxes.size(), 2);
    for (auto* box : boxes)
      if (box->currentText() == "teacher") box->setCurrentText("char");  // student b's
    QCOMPARE(form.config().students[1].tokenizer, std::string("char"));
  }

  void keysWithoutWidgetsSurviveTheForm() {
    ExperimentForm form;
    const auto config =
        parseExperiment("students: [{name: a, init_seed: 4, scratch_twin: false, distill: {loss: tvd}}]\n",
                        ".")
            .config;
    form.setConfig(config);
    form.duplicateCurrentStudent();
    QCOMPARE(QString::fromStdString(experimentToYaml(form.config())).count("loss: tvd"), 2);
    QCOMPARE(form.config().students[0].init_seed, 4);
    QVERIFY(!form.config().students[1].scratch_twin);
  }

  void examplesFormatAndItsFieldsSurviveTheForm() {
    ExperimentForm form;
    form.setConfig(parseExperiment("data: {corpus: t.jsonl, format: messages, messages_field: turns, "
                                   "val_corpus: v.jsonl, bad_records: skip}\n",
                                   ".")
                       .config);
    const auto* format = form.findChild<QComboBox*>("data.format");
    QVERIFY(format);
    QCOMPARE(format->currentText(), QString("messages"));
    QVERIFY(!form.findChild<QLineEdit*>("data.text_field")->isEnabled());  // text only
    const auto data = form.config().data;
    QVERIFY(data.format == DataFormat::Messages);
    QCOMPARE(data.messages_field, std::string("turns"));
    QVERIFY(data.bad_records == BadRecords::Skip);
    QVERIFY(QString::fromStdString(data.val_corpus).endsWith("v.jsonl"));
  }

  void pretrainedTeacherAndTokenizerRoundTrip() {
    ExperimentForm form;
    const auto config = parseExperiment(
                            "data: {tokenizer: bpe512}\nteacher: {hf: llama-tiny}\n"
                            "students: [{name: half, layers: 1, init_from_teacher: true}, {name: l, arch: "
                            "llama, heads: 4, kv_heads: 2, embd: 32}]\n",
                            DISTILL_FIXTURES_DIR)
                            .config;
    form.setConfig(config);
    QCOMPARE(QString::fromStdString(experimentToYaml(form.config())),
             QString::fromStdString(experimentToYaml(config)));
    QCOMPARE(form.findChild<QLineEdit*>("teacher.hf")->text(), QString(DISTILL_FIXTURES_DIR "/llama-tiny"));
    QVERIFY2(form.problems().isEmpty(), qPrintable(form.problems().join(" | ")));
    // The sizes shown are the imported teacher's (config.json) and the student cut from it.
    QStringList infos;
    for (auto* label : form.findChildren<QLabel*>()) infos << label->text();
    QVERIFY2(infos.join('\n').contains("imported llama: 2 layers × 4 heads × 64 wide"),
             qPrintable(infos.join('\n')));
    QVERIFY2(infos.join('\n').contains("the teacher's llama, 64 wide, 1 of its 2 layers"),
             qPrintable(infos.join('\n')));
    form.findChild<QLineEdit*>("teacher.hf")->setText("/no/such/model");
    QVERIFY2(form.problems().join(' ').contains("teacher.hf: /no/such/model: not a folder"),
             qPrintable(form.problems().join(" | ")));
    form.findChild<QLineEdit*>("teacher.hf")->setText(DISTILL_FIXTURES_DIR "/llama-tiny");
    form.findChild<QComboBox*>("data.tokenizer")->setCurrentText("char");
    QVERIFY(
        form.problems().join(' ').contains("data.tokenizer: an imported teacher"));  // it needs its own ids
  }

  // The corpus is read and tokenized on a background thread: the form says so at once and fills
  // the facts line when they arrive.
  void corpusIsInspectedInTheBackground() {
    QTemporaryDir dir;
    QFile corpus(dir.filePath("corpus.txt"));
    QVERIFY(corpus.open(QIODevice::WriteOnly));
    for (int i = 0; i < 200; ++i) corpus.write("abcdefghij\n");
    corpus.close();
    ExperimentForm form;
    auto* info = form.findChild<QLabel*>("corpusInfo");
    QVERIFY(info);
    form.findChild<QLineEdit*>("data.corpus")->setText(corpus.fileName());
    QCOMPARE(info->text(), QString("inspecting the corpus…"));
    QTRY_VERIFY_WITH_TIMEOUT(info->text().contains("vocabulary 11"), 10000);  // 10 letters and the newline
    QVERIFY2(info->text().startsWith("2,200 bytes") || info->text().startsWith("2200 bytes"),
             qPrintable(info->text()));
  }

  // A folder of JSON Lines, split by documents: the facts count the documents, and the corpus is
  // tokenized into the runs' token cache, which the run then opens instead of tokenizing again.
  void folderCorpusFillsTheRunsTokenCache() {
    QTemporaryDir dir;
    QDir().mkpath(dir.filePath("corpus"));
    QFile lines(dir.filePath("corpus/speeches.jsonl"));
    QVERIFY(lines.open(QIODevice::WriteOnly));
    for (int i = 0; i < 50; ++i) lines.write("{\"body\": \"speech number " + QByteArray::number(i) + "\"}\n");
    lines.close();
    ExperimentForm form;
    form.setTokenCacheFolder(dir.filePath("runs/token-cache"));
    auto* info = form.findChild<QLabel*>("corpusInfo");
    form.findChild<QLineEdit*>("data.text_field")->setText("body");
    form.findChild<QComboBox*>("data.val_split")->setCurrentText("documents");
    form.findChild<QSpinBox*>("data.block_size")->setValue(8);
    form.findChild<QLineEdit*>("data.corpus")->setText(dir.filePath("corpus"));
    QTRY_VERIFY_WITH_TIMEOUT(info->text().contains("50 documents"), 10000);
    QCOMPARE(form.config().data.val_split, ValSplit::Documents);
    CorpusOptions runs;
    runs.cacheDir = dir.filePath("runs/token-cache").toStdString();
    QVERIFY(inspectCorpus(form.config().data, {}, runs).reusedCache);  // what a run would open
  }

  void tokenizerTrainingDialogTrainsInTheBackground() {
    QTemporaryDir dir;
    QFile corpus(dir.filePath("corpus.txt"));
    QVERIFY(corpus.open(QIODevice::WriteOnly));
    for (int i = 0; i < 300; ++i)
      corpus.write("First Citizen: before we proceed any further, hear me speak.\n");
    corpus.close();
    ExperimentForm form;
    form.findChild<QLineEdit*>("data.corpus")->setText(corpus.fileName());
    form.findChild<QToolButton*>("trainTokenizer")->click();
    auto* dialog = form.findChild<QDialog*>();
    QVERIFY(dialog);
    dialog->findChild<QLineEdit*>("tokenizer.out")->setText(dir.filePath("tok"));
    dialog->findChild<QSpinBox*>()->setValue(300);
    for (auto* button : dialog->findChildren<QPushButton*>())
      if (button->text() == "Train") button->click();
    auto* tokenizer = form.findChild<QComboBox*>("data.tokenizer");
    QTRY_COMPARE_WITH_TIMEOUT(tokenizer->currentText(), dir.filePath("tok"), 20000);
    QVERIFY(QFile::exists(dir.filePath("tok/vocab.json")));
    QCOMPARE(QString::fromStdString(form.config().data.tokenizer), dir.filePath("tok"));
  }

  void methodFieldsEditTheGlobalSectionAndKeepTheRest() {
    ExperimentForm form;
    form.setConfig(parseExperiment("distill: {hidden_loss: mse, layer_map: [1, 4], sample_top_k: 5}\n"
                                   "students: [{name: a, layers: 2}]\n",
                                   ".")
                       .config);
    QCOMPARE(form.findChild<QComboBox*>("distill.hidden_loss")->currentText(), QString("mse"));
    QVERIFY(!form.findChild<QSpinBox*>("distill.sequence_count")->isEnabled());  // regime word
    form.findChild<QComboBox*>("distill.regime")->setCurrentText("on_policy");
    form.findChild<QDoubleSpinBox*>("distill.on_policy_fraction")->setValue(0.25);
    form.findChild<QDoubleSpinBox*>("distill.attention_weight")->setValue(0.5);
    QVERIFY(form.findChild<QDoubleSpinBox*>("distill.on_policy_fraction")->isEnabled());
    const auto d = form.config().distill;
    QCOMPARE(d.regime, Regime::OnPolicy);
    QCOMPARE(d.on_policy_fraction, 0.25);
    QCOMPARE(d.attention_weight, 0.5);
    QCOMPARE(d.layer_map, (std::vector<int>{1, 4}));  // not on the form, still there
    QCOMPARE(d.sample_top_k, 5);
  }

  void formEditsReachTheYamlPane() {
    MainWindow window(QDir::tempPath() + "/distill-ui-runs");
    window.openExperiment(DISTILL_PROJECT_DIR "/experiments/shakespeare_char.yaml");
    window.form()->findChild<QSpinBox*>("train.steps")->setValue(1234);
    QVERIFY(window.yamlPane()->text().contains("steps: 1234"));
  }

  void yamlEditsReachTheForm() {
    MainWindow window(QDir::tempPath() + "/distill-ui-runs");
    window.openExperiment(DISTILL_PROJECT_DIR "/experiments/shakespeare_char.yaml");
    QString text = window.yamlPane()->text();
    text.replace("temperature: 2.0", "temperature: 4.5");
    window.yamlPane()->setText(QString());  // force a change event path
    window.yamlPane()->editor()->setPlainText(text);
    window.yamlPane()->parseNow();
    QCOMPARE(window.form()->config().distill.temperature, 4.5);
    QVERIFY(window.yamlPane()->problem().isEmpty());
  }

  void yamlErrorPointsAtItsLineAndBlocksStart() {
    MainWindow window(QDir::tempPath() + "/distill-ui-runs");
    window.openExperiment(DISTILL_PROJECT_DIR "/experiments/shakespeare_char.yaml");
    QVERIFY(window.startAction()->isEnabled());
    window.yamlPane()->editor()->setPlainText("train:\n  steps: 10\n  bogus: 1\n");
    window.yamlPane()->parseNow();
    QCOMPARE(window.yamlPane()->problemLine(), 3);
    QVERIFY(window.yamlPane()->problem().contains("train.bogus"));
    QVERIFY(!window.startAction()->isEnabled());
  }

  void invalidValuesShowInlineAndBlockStart() {
    MainWindow window(QDir::tempPath() + "/distill-ui-runs");
    window.openExperiment(DISTILL_PROJECT_DIR "/experiments/shakespeare_char.yaml");
    QVERIFY(window.startAction()->isEnabled());
    // 4 heads cannot split a width of 130.
    auto* width = window.form()->findChild<QSpinBox*>("teacher.embd");
    QVERIFY(width);
    width->setValue(130);
    QVERIFY(!window.form()->problems().isEmpty());
    QVERIFY(window.form()->problems().join(' ').contains("teacher.heads: must divide embd"));
    QVERIFY(!window.startAction()->isEnabled());
    width->setValue(128);
    QVERIFY(window.form()->problems().isEmpty());
    QVERIFY(window.startAction()->isEnabled());
  }

  void studentsCanBeAddedDuplicatedRemoved() {
    ExperimentForm form;
    form.setConfig(parseExperiment("students: [{name: a}]\n", ".").config);
    QSignalSpy changed(&form, &ExperimentForm::changed);
    form.duplicateCurrentStudent();
    form.addStudent();
    QCOMPARE(form.config().students.size(), size_t(3));
    QCOMPARE(form.config().students[1].name, std::string("a-copy"));
    form.removeCurrentStudent();
    QCOMPARE(form.config().students.size(), size_t(2));
    QCOMPARE(changed.count(), 3);
  }

  void noStudentsIsAProblem() {
    ExperimentForm form;
    form.setConfig(parseExperiment("students: []\n", ".").config);
    QVERIFY(form.problems().join(' ').contains("add at least one student"));
  }

  void liveSettingsComeFirstAndStayEditableDuringARun() {
    ExperimentForm form;
    auto* live = form.findChild<QGroupBox*>("liveSettings");
    QVERIFY(live);
    for (const char* key : {"train.lr", "distill.temperature", "distill.alpha", "train.eval_interval"}) {
      auto* w = form.findChild<QWidget*>(key);
      QVERIFY2(w && live->isAncestorOf(w), key);
    }
    // At the top: above every other group of the form.
    for (auto* group : form.findChildren<QGroupBox*>())
      if (group != live && group->isVisibleTo(&form) && !group->isAncestorOf(live))
        QVERIFY2(group->mapTo(&form, QPoint(0, 0)).y() >= live->mapTo(&form, QPoint(0, 0)).y(),
                 qPrintable(group->title()));
    form.setRunning(true);
    QVERIFY(live->isEnabled());
    QVERIFY(form.findChild<QWidget*>("train.lr")->isEnabled());
    QVERIFY(!form.findChild<QWidget*>("train.batch_size")->isEnabled());
  }
};

QTEST_MAIN(TestExperimentForm)
#include "tst_experiment_form.moc"
