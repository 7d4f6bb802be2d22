// The `distill` command line as scripts use it: one exit-code table for every subcommand (argument
// parsing included), --json outputs that parse, --version equal to what a run folder records, and
// completion scripts that load.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QtTest>

#include "cli_runner.h"

using namespace cli_runner;

namespace {

const QString kFixtures = DISTILL_FIXTURES_DIR;
const QString kExperiment = DISTILL_PROJECT_DIR "/experiments/shakespeare_char.yaml";
const QStringList kTinyRun = {"--set", "train.steps=2",
                              "--set", "train.student_steps=2",
                              "--set", "train.eval_batches=1",
                              "--set", "generate.max_new_tokens=2",
                              "--set", "students=[{name: s, arch: gru, embd: 8, hidden: 8}]"};

QJsonObject jsonOf(const CliResult& r) {
  QJsonParseError error;
  const auto doc = QJsonDocument::fromJson(r.out.toUtf8(), &error);
  if (error.error != QJsonParseError::NoError) qWarning() << "not JSON:" << error.errorString() << r.out;
  return doc.object();
}

/// Runs bash with a script; returns what it printed.
CliResult shell(const QString& program, const QString& script) {
  QProcess process;
  process.start(program, {"-c", script});
  process.waitForFinished(30000);
  return {process.exitCode(), process.exitStatus() != QProcess::NormalExit,
          QString::fromUtf8(process.readAllStandardOutput()),
          QString::fromUtf8(process.readAllStandardError())};
}

}  // namespace

class TestCliContract : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;
  QString m_runDir;

private slots:
  // One tiny run whose folder the other tests read (export-hf, --version against summary.json).
  void initTestCase() {
    m_runDir = m_dir.filePath("run");
    const auto r = runCli(QStringList{"run", kExperiment, "--out", m_runDir, "--json"} + kTinyRun);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const auto json = jsonOf(r);
    QCOMPARE(json["status"].toString(), QString("completed"));
    QCOMPARE(json["run_dir"].toString(), m_runDir);
    // stdout is the JSON object alone: progress went to stderr.
    QVERIFY2(r.err.contains("[teacher]"), qPrintable(r.err));
    const auto models = json["summary"].toObject()["models"].toObject();
    QCOMPARE(models.keys().size(), 3);
    QVERIFY(models["s-kd"].toObject()["val_loss"].isDouble());
    const auto comparisons = json["comparisons"].toArray();
    QCOMPARE(comparisons.size(), 1);
    const auto pair = comparisons[0].toObject();
    QCOMPARE(pair["student"].toString(), QString("s"));
    QVERIFY(QStringList({"distillation wins", "tie", "distillation does not win"})
                .contains(pair["verdict"].toString()));
    QCOMPARE(pair["delta"].toDouble(),
             pair["distilled_val_loss"].toDouble() - pair["scratch_val_loss"].toDouble());
  }

  void exitCodesFollowOneTable_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    const QString corpus = DISTILL_PROJECT_DIR "/resources/data/tinyshakespeare.txt";
    const QString checkpoint = m_dir.filePath("run/checkpoints/s-kd.pt");
    const QString gpt2 = kFixtures + "/gpt2-tiny";
    const QString bpe = kFixtures + "/bpe512";
    // Usage errors: no subcommand, an unknown one, an unknown option on each subcommand.
    QTest::newRow("no subcommand") << QStringList{} << 2;
    QTest::newRow("unknown subcommand") << QStringList{"nope"} << 2;
    for (const QString sub : {"validate", "run", "worker", "generate", "inspect", "logits", "tokenize",
                              "export-hf", "train-tokenizer", "bench", "completion"})
      QTest::newRow(qPrintable(sub + ": unknown option")) << QStringList{sub, "--no-such-option"} << 2;
    QTest::newRow("validate: missing file argument") << QStringList{"validate"} << 2;
    // Bad values, each rejected before any work.
    QTest::newRow("validate: --set value out of range")
        << QStringList{"validate", kExperiment, "--set", "train.lr=-1"} << 2;
    QTest::newRow("validate: --set unknown key") << QStringList{"validate", kExperiment, "--set", "x=1"} << 2;
    QTest::newRow("run: --nproc 0") << QStringList{"run", kExperiment, "--nproc", "0"} << 2;
    QTest::newRow("run: bad --set") << QStringList{"run", kExperiment, "--set", "train.steps=x"} << 2;
    QTest::newRow("run: file and --resume") << QStringList{"run", kExperiment, "--resume", m_dir.path()} << 2;
    QTest::newRow("runs: no such folder") << QStringList{"runs", m_dir.filePath("nowhere")} << 2;
    QTest::newRow("worker: no rank in the environment") << QStringList{"worker"} << 2;
    QTest::newRow("worker: --dist-timeout 0") << QStringList{"worker", "--dist-timeout", "0"} << 2;
    QTest::newRow("generate: --max-new-tokens too large")
        << QStringList{"generate", "--model", gpt2, "--ids", "1", "--max-new-tokens", "100000000"} << 2;
    QTest::newRow("generate: no prompt") << QStringList{"generate", "--model", gpt2} << 2;
    QTest::newRow("generate: model not in the run")
        << QStringList{"generate", m_runDir, "--model", "x", "--ids", "1"} << 2;
    QTest::newRow("inspect: no such folder") << QStringList{"inspect", m_dir.filePath("nowhere")} << 2;
    QTest::newRow("logits: ids not numbers") << QStringList{"logits", gpt2, "--ids", "a,b"} << 2;
    QTest::newRow("tokenize: no such tokenizer")
        << QStringList{"tokenize", "--tokenizer", "/nowhere", "--text", "x"} << 2;
    QTest::newRow("export-hf: no such checkpoint")
        << QStringList{"export-hf", "/nowhere.pt", "--out", "x"} << 2;
    QTest::newRow("train-tokenizer: unknown kind")
        << QStringList{"train-tokenizer", "--corpus", corpus, "--kind", "wordpiece", "--out", "x"} << 2;
    QTest::newRow("bench: unknown config") << QStringList{"bench", "--config", "huge"} << 2;
    QTest::newRow("completion: unknown shell") << QStringList{"completion", "fish"} << 2;
    // Work that fails once started (here: ids beyond the vocabulary) is 1, not 2.
    QTest::newRow("logits: id beyond the vocabulary") << QStringList{"logits", gpt2, "--ids", "1,99999"} << 1;
    // Good calls.
    QTest::newRow("--help") << QStringList{"--help"} << 0;
    QTest::newRow("run --help") << QStringList{"run", "--help"} << 0;
    QTest::newRow("--version") << QStringList{"--version"} << 0;
    QTest::newRow("validate") << QStringList{"validate", kExperiment, "--set", "train.lr=3e-4"} << 0;
    QTest::newRow("generate") << QStringList{"generate", m_runDir, "--model",          "s-kd",
                                             "--prompt", "A",      "--max-new-tokens", "2"}
                              << 0;
    QTest::newRow("runs") << QStringList{"runs", m_dir.path()} << 0;
    QTest::newRow("inspect") << QStringList{"inspect", gpt2} << 0;
    QTest::newRow("logits") << QStringList{"logits", gpt2, "--ids", "1,2"} << 0;
    QTest::newRow("tokenize") << QStringList{"tokenize", "--tokenizer", bpe, "--text", "hello"} << 0;
    QTest::newRow("export-hf") << QStringList{"export-hf", m_runDir + "/checkpoints/teacher.pt", "--out",
                                              m_dir.filePath("hf")}
                               << 0;
    QTest::newRow("train-tokenizer") << QStringList{"train-tokenizer",    "--corpus", corpus,
                                                    "--vocab-size",       "260",      "--out",
                                                    m_dir.filePath("tok")}
                                     << 0;
    QTest::newRow("bench") << QStringList{"bench", "--config", "small", "--steps", "1", "--threads", "1"}
                           << 0;
    QTest::newRow("completion") << QStringList{"completion", "bash"} << 0;
  }
  void exitCodesFollowOneTable() {
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    const auto r = runCli(args);
    QVERIFY2(!r.crashed, qPrintable(r.err));
    QVERIFY2(r.exitCode == exitCode,
             qPrintable(QString("exit %1, expected %2: %3").arg(r.exitCode).arg(exitCode).arg(r.err)));
    if (exitCode != 0) QVERIFY2(!r.err.trimmed().isEmpty(), "a failure must say why on stderr");
  }

  void helpDocumentsTheExitCodesAndExamples() {
    const auto top = runCli({"--help"});
    QVERIFY2(top.out.contains("Exit codes:") && top.out.contains("130"), qPrintable(top.out));
    for (const QString sub : {"validate", "run", "runs", "generate", "inspect", "logits", "tokenize",
                              "export-hf", "train-tokenizer", "bench", "completion"}) {
      const auto help = runCli({sub, "--help"});
      QVERIFY2(help.out.contains("Examples:\n  distill " + sub) || help.out.contains("Examples:\n  source"),
               qPrintable(sub + ": " + help.out));
    }
  }

  void validateJsonCarriesEveryProblem() {
    QTemporaryDir dir;
    const auto file = writeFile(dir, "bad.yaml", "train:\n  steps: x\nextra: 1\n");
    const auto bad = runCli({"validate", file, "--json"});
    QCOMPARE(bad.exitCode, 2);
    const auto json = jsonOf(bad);
    QCOMPARE(json["valid"].toBool(), false);
    const auto problems = json["problems"].toArray();
    QCOMPARE(problems.size(), 2);
    QStringList keys;
    for (const auto& p : problems) {
      const auto o = p.toObject();
      QCOMPARE(o["file"].toString(), file);
      QVERIFY(o["line"].toInt() > 0 && o["column"].toInt() > 0);
      QVERIFY(!o["message"].toString().isEmpty());
      keys << o["key"].toString();
    }
    keys.sort();
    QCOMPARE(keys, QStringList({"extra", "train.steps"}));

    // An override is checked exactly as run would: its problem has a key but no line.
    const auto overridden = jsonOf(runCli({"validate", kExperiment, "--set", "train.lr=-1", "--json"}));
    QCOMPARE(overridden["valid"].toBool(), false);
    const auto p = overridden["problems"].toArray()[0].toObject();
    QCOMPARE(p["key"].toString(), QString("train.lr"));
    QVERIFY(p["line"].isNull());

    const auto good = jsonOf(runCli({"validate", kExperiment, "--json"}));
    QCOMPARE(good["valid"].toBool(), true);
    QCOMPARE(good["students"].toInt(), 3);
    QCOMPARE(good["problems"].toArray().size(), 0);
  }

  void runsListsTheRunFoldersAsJson() {
    const auto list = QJsonDocument::fromJson(runCli({"runs", m_dir.path(), "--json"}).out.toUtf8()).array();
    QCOMPARE(list.size(), 1);  // the tiny run; the other folders here are not runs
    const auto run = list[0].toObject();
    QCOMPARE(run["dir"].toString(), m_runDir);
    QCOMPARE(run["status"].toString(), QString("completed"));
    QVERIFY(run["disk_bytes"].toDouble() > 1000);
    QCOMPARE(run["models"].toArray().size(), 3);
    QCOMPARE(run["comparisons"].toArray()[0].toObject()["student"].toString(), QString("s"));
    const auto text = runCli({"runs", m_dir.path()});
    QVERIFY2(text.out.contains("run ") && text.out.contains("completed") && text.out.contains(" s "),
             qPrintable(text.out));
  }

  void inspectAndTokenizeJson() {
    const auto inspect = jsonOf(runCli({"inspect", kFixtures + "/gpt2-tiny", "--json"}));
    QCOMPARE(inspect["model_type"].toString(), QString("gpt2"));
    QCOMPARE(inspect["parameters"].toInteger(), 136960);
    QVERIFY(inspect["stored_parameters"].toObject()["F32"].toInteger() > 0);
    const auto tokenized = jsonOf(runCli({"tokenize", "--tokenizer", kFixtures + "/bpe512", "--text",
                                          "don't we'll I'm they've she'd it's", "--json"}));
    QCOMPARE(tokenized["count"].toInt(), 17);
    QCOMPARE(tokenized["ids"].toArray().first().toInt(), 68);
  }

  void versionMatchesWhatTheRunRecords() {
    const auto version = runCli({"--version"}).out.trimmed().split('\n');
    QFile f(m_runDir + "/summary.json");
    QVERIFY(f.open(QIODevice::ReadOnly));
    const auto build = QJsonDocument::fromJson(f.readAll()).object()["build"].toObject();
    QCOMPARE(version.size(), 3);
    QCOMPARE(version[0], "distill " + build["version"].toString());
    QCOMPARE(version[1],
             "LibTorch " + build["libtorch"].toString() + " (" + build["libtorch_source"].toString() + ")");
    QCOMPARE(version[2], "build " + build["build_type"].toString());
    QVERIFY(!build["libtorch"].toString().isEmpty());
  }

  void bashCompletionLoadsAndCompletes() {
    const QString script = m_dir.filePath("distill.bash");
    writeFile(m_dir, "distill.bash", runCli({"completion", "bash"}).out.toUtf8());
    const auto syntax = shell("bash", "bash -n '" + script + "'");
    QVERIFY2(syntax.exitCode == 0, qPrintable(syntax.err));
    auto complete = [&](const QString& words) {
      return shell(
                 "bash",
                 "source '" + script + "'; COMP_WORDS=(" + words +
                     "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _distill; printf '%s\\n' \"${COMPREPLY[@]}\"")
          .out.split('\n', Qt::SkipEmptyParts);
    };
    QCOMPARE(complete("distill va"), QStringList({"validate"}));
    QVERIFY(complete("distill run --set train.l").contains("train.lr="));
    QVERIFY(complete("distill validate x.yaml --set students.0.hi").contains("students.0.hidden="));
    QVERIFY(complete("distill run --j").contains("--json"));
    QCOMPARE(complete("distill train-tokenizer --kind s"), QStringList({"sentencepiece"}));
  }

  void zshCompletionLoads() {
    if (QStandardPaths::findExecutable("zsh").isEmpty())
      QSKIP("zsh is not installed (scripts/setup.sh installs it)");
    const QString script = m_dir.filePath("_distill");
    writeFile(m_dir, "_distill", runCli({"completion", "zsh"}).out.toUtf8());
    const auto syntax = shell("zsh", "zsh -n '" + script + "'");
    QVERIFY2(syntax.exitCode == 0, qPrintable(syntax.err));
    const auto loaded = shell("zsh", "autoload -U compinit && compinit -u -D && source '" + script +
                                         "' && print ${_comps[distill]}");
    QVERIFY2(loaded.out.trimmed() == "_distill", qPrintable(loaded.out + loaded.err));
  }
};

QTEST_GUILESS_MAIN(TestCliContract)
#include "tst_cli_contract.moc"
