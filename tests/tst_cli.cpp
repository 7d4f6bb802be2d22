// The `distill` command line: bad input gets one clear line and a non-zero exit, never a crash.
#include <torch/torch.h>

#include <sys/resource.h>
#include <unistd.h>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>
#include <csignal>
#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace {

using namespace cli_runner;

const QStringList kFast = {
    "--set", "train.steps=3", "--set", "train.eval_batches=1", "--set", "generate.max_new_tokens=4"};

}  // namespace

class TestCli : public QObject {
  Q_OBJECT
private slots:
  void badInputGivesOneLine_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    QTest::newRow("missing experiment file") << "missing" << 2 << "no such file";
    QTest::newRow("yaml syntax error")
        << "syntax" << 2 << "bad.yaml:3:1: (syntax): end of sequence flow not found";
    QTest::newRow("unknown key") << "unknown" << 2 << "bad.yaml:2:3: train.stepz: unknown key";
    QTest::newRow("wrong type") << "type" << 2
                                << "bad.yaml:2:15: train.batch_size: expected an integer, got 'ten'";
    QTest::newRow("missing corpus") << "nocorpus" << 1 << "corpus not found";
    QTest::newRow("empty corpus") << "empty" << 1 << "corpus is empty";
    QTest::newRow("binary corpus") << "binary" << 1 << "looks binary";
    QTest::newRow("block size larger than corpus") << "block" << 1 << "is too large for the corpus";
    QTest::newRow("teacher checkpoint that is not one")
        << "badteacher" << 1 << "not a readable LibTorch archive";
    QTest::newRow("invalid UTF-8 corpus")
        << "utf8" << 1 << "not valid UTF-8 text (first bad byte at offset 3)";
    QTest::newRow("value out of range") << "range" << 2 << "bad.yaml:2:17: train.warmup_steps: must be >= 0";
    QTest::newRow("corrupt safetensors") << "safetensors" << 1 << "model.safetensors";
    QTest::newRow("corrupt tokenizer") << "tokenizer" << 1 << "tokenizer.json";
    QTest::newRow("unreadable corpus") << "unreadable" << 1 << "Permission denied";
    QTest::newRow("read-only runs folder") << "readonly" << 1 << "cannot create run directory";
    QTest::newRow("read-only run directory") << "readonlyrun" << 1 << "cannot write";
    QTest::newRow("full disk") << "full" << 1 << "File too large";
  }
  void badInputGivesOneLine() {
    QFETCH(QString, kind);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    QTemporaryDir dir;
    QString file = dir.filePath("bad.yaml");
    QStringList extra;
    if (kind == "syntax") writeFile(dir, "bad.yaml", "train:\n  steps: [1, 2\n");
    if (kind == "unknown") writeFile(dir, "bad.yaml", "train:\n  stepz: 5\n");
    if (kind == "type") writeFile(dir, "bad.yaml", "train:\n  batch_size: ten\n");
    if (kind == "nocorpus") writeFile(dir, "bad.yaml", "data: {corpus: nowhere.txt}\n");
    if (kind == "empty" || kind == "binary" || kind == "block") {
      writeFile(dir, "c.txt",
                kind == "empty"    ? QByteArray()
                : kind == "binary" ? QByteArray("ab\0\1\2", 5)
                                   : QByteArray("short text"));
      writeFile(dir, "bad.yaml", "data: {corpus: c.txt}\n");
    }
    if (kind == "badteacher") {
      writeFile(dir, "t.pt", QByteArray(1000, 'z'));
      writeFile(dir, "bad.yaml", "teacher: {checkpoint: t.pt}\n");
    }
    if (kind == "utf8") {
      writeFile(dir, "c.txt", QByteArray("abc\xff\xfe and then some text"));
      writeFile(dir, "bad.yaml", "data: {corpus: c.txt}\n");
    }
    if (kind == "range") writeFile(dir, "bad.yaml", "train:\n  warmup_steps: -1\n");
    if (kind == "safetensors") {
      QDir().mkpath(dir.filePath("hf"));
      QFile::copy(DISTILL_FIXTURES_DIR "/gpt2-tiny/config.json", dir.filePath("hf/config.json"));
      writeFile(dir, "hf/model.safetensors", QByteArray("\x10\0\0\0\0\0\0\0{\"a\": [1, 2", 20));
      writeFile(dir, "bad.yaml", "teacher: {hf: hf}\ndata: {tokenizer: " DISTILL_FIXTURES_DIR "/bpe512}\n");
    }
    if (kind == "tokenizer") {
      QDir().mkpath(dir.filePath("tok"));
      writeFile(dir, "tok/tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": [");
      writeFile(dir, "bad.yaml", "data: {tokenizer: tok}\n");
    }
    Limits limits = Limits::None;
    QString out = dir.filePath("run");
    if (kind == "unreadable" || kind == "readonly" || kind == "readonlyrun") {
      limits = Limits::Unprivileged;
      QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                            QFile::ReadOther | QFile::ExeOther | QFile::ReadGroup |
                                            QFile::ExeGroup);
      const auto readOnly = QFile::ReadOwner | QFile::ExeOwner | QFile::ReadOther | QFile::ExeOther |
                            QFile::ReadGroup | QFile::ExeGroup;
      if (kind == "unreadable") {
        writeFile(dir, "c.txt", "some text that nobody may read");
        QFile::setPermissions(dir.filePath("c.txt"), QFile::WriteOwner);
        writeFile(dir, "bad.yaml", "data: {corpus: c.txt}\n");
      } else {
        writeFile(dir, "bad.yaml", "name: ro\n");
        QDir().mkpath(dir.filePath("locked/checkpoints"));  // a run folder whose files cannot be written
        QFile::setPermissions(dir.filePath("locked"), readOnly);
        out = kind == "readonly" ? dir.filePath("locked/run") : dir.filePath("locked");
      }
      QFile::setPermissions(file, readOnly);
    }
    if (kind == "full") {
      limits = Limits::SmallFiles;
      writeFile(dir, "bad.yaml", "name: full\n");
    }
    const auto r = runCli(QStringList{"run", file, "--out", out} + kFast, 120000, limits);
    QVERIFY2(!r.crashed, qPrintable(r.err));
    QCOMPARE(r.exitCode, exitCode);
    const QStringList lines = r.err.trimmed().split('\n');
    QCOMPARE(lines.size(), 1);
    QVERIFY2(lines.front().contains(message), qPrintable(lines.front()));
  }

  void killedRunResumesToTheSameNumbers() {
    // kill -9 in the students' phase, resume: the summary equals an uninterrupted run's.
    QTemporaryDir dir;
    const QString file = writeFile(dir, "small.yaml", R"(
name: small
data: {block_size: 16}
teacher: {layers: 1, heads: 2, embd: 32}
students: [{name: s, layers: 1, heads: 2, embd: 16}]
train: {steps: 40, student_steps: 400, batch_size: 4, eval_interval: 200, eval_batches: 2, threads: 1, checkpoint_interval: 4}
generate: {prompts: ["ROMEO:"], max_new_tokens: 4}
)");
    const auto whole = runCli({"run", file, "--out", dir.filePath("whole")});
    QVERIFY2(whole.exitCode == 0, qPrintable(whole.err));

    const QString killed = dir.filePath("killed");
    QProcess process;
    process.start(DISTILL_CLI_PATH, {"run", file, "--out", killed});
    QVERIFY(process.waitForStarted());
    bool inStudentPhase = false;
    for (int i = 0; i < 6000 && !inStudentPhase && process.state() == QProcess::Running; ++i) {
      QTest::qSleep(5);
      for (const auto& name : QDir(killed + "/resume").entryList(QDir::Dirs | QDir::NoDotAndDotDot))
        if (name.startsWith("0001-2-students-") && !name.endsWith(".tmp") && name.mid(16).toInt() >= 8)
          inStudentPhase = true;
    }
    QVERIFY2(inStudentPhase, "the run ended before it could be killed in its students' phase");
    process.kill();  // SIGKILL: no handler runs, nothing is saved on the way out
    process.waitForFinished();
    QVERIFY(!QFile::exists(killed + "/summary.json"));

    // Two resumes at once: one writes the folder, the other is refused at once, naming it.
    QProcess second;
    second.start(DISTILL_CLI_PATH, {"run", "--resume", killed});
    QVERIFY(second.waitForStarted());
    const auto resumed = runCli({"run", "--resume", killed});
    QVERIFY(second.waitForFinished(120000));
    const QString secondErr = QString::fromUtf8(second.readAllStandardError());
    const QString secondOut = QString::fromUtf8(second.readAllStandardOutput());
    const bool firstWon = resumed.exitCode == 0;
    QVERIFY2(firstWon != (second.exitCode() == 0), qPrintable(resumed.err + " | " + secondErr));
    const QString refusal = firstWon ? secondErr : resumed.err;
    QVERIFY2(refusal.contains("is being written by pid "), qPrintable(refusal));
    QVERIFY2((firstWon ? resumed.out : secondOut).contains("resuming " + killed + " from students step"),
             qPrintable(resumed.out + secondOut));
    // No point twice: the refused writer cut back and appended nothing.
    QFile metrics(killed + "/metrics.jsonl");
    QVERIFY(metrics.open(QIODevice::ReadOnly));
    QSet<QString> seen;
    int lines = 0;
    for (const auto& line : metrics.readAll().split('\n')) {
      if (line.isEmpty()) continue;
      const auto o = QJsonDocument::fromJson(line).object();
      const QString key =
          o["model"].toString() + "|" + o["name"].toString() + "|" + QString::number(o["step"].toInt());
      QVERIFY2(!seen.contains(key), qPrintable("duplicated point " + key));
      seen.insert(key);
      ++lines;
    }
    QVERIFY(lines > 100);
    auto valLosses = [](const QString& runDir) {
      QFile f(runDir + "/summary.json");
      f.open(QIODevice::ReadOnly);
      const auto models = QJsonDocument::fromJson(f.readAll()).object()["models"].toObject();
      QMap<QString, double> out;
      for (const auto& name : models.keys()) out[name] = models[name].toObject()["val_loss"].toDouble();
      return out;
    };
    QCOMPARE(valLosses(killed), valLosses(dir.filePath("whole")));
    QCOMPARE(valLosses(killed).size(), 3);

    const auto again = runCli({"run", "--resume", killed});
    QCOMPARE(again.exitCode, 1);
    QVERIFY2(again.err.contains("has completed: nothing to resume"), qPrintable(again.err));
    const auto both = runCli({"run", file, "--resume", killed});
    QVERIFY(both.exitCode != 0);
  }

  void validateReportsEveryProblem() {
    QTemporaryDir dir;
    const auto file = writeFile(dir, "bad.yaml", "train:\n  steps: x\n  lr: -1\nextra: 1\n");
    const auto r = runCli({"validate", file});
    QCOMPARE(r.exitCode, 2);
    QCOMPARE(r.err.trimmed().split('\n').size(),
             2);  // steps (type) and extra (unknown); range checks wait for types
    const auto ok = runCli({"validate", DISTILL_PROJECT_DIR "/experiments/shakespeare_char.yaml"});
    QCOMPARE(ok.exitCode, 0);
  }

  void runThenGenerate() {
    QTemporaryDir dir;
    const QString runDir = dir.filePath("run");
    const auto r = runCli(QStringList{"run", DISTILL_PROJECT_DIR "/experiments/shakespeare_char.yaml",
                                      "--out", runDir, "--set", "students=[{name: s, embd: 16}]"} +
                          kFast);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(r.out.contains("[teacher] step 3/3"));
    QVERIFY(r.out.contains("s-kd"));
    const auto g = runCli(
        {"generate", runDir, "--model", "s-kd", "--prompt", "ROMEO:", "--max-new-tokens", "12", "--greedy"});
    QVERIFY2(g.exitCode == 0, qPrintable(g.err));
    QVERIFY(g.out.startsWith("ROMEO:"));
    QCOMPARE(g.out.trimmed().size() >= 6, true);
    const auto missing = runCli({"generate", runDir, "--model", "nope", "--prompt", "x"});
    QCOMPARE(missing.exitCode, 2);
    QVERIFY(missing.err.contains("models: teacher, s-kd, s-scratch"));

    // The teacher as a Hugging Face folder: it imports, and gives the checkpoint's logits.
    const QString hf = dir.filePath("hf");
    const auto exported = runCli({"export-hf", runDir + "/checkpoints/teacher.pt", "--out", hf});
    QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
    QVERIFY2(exported.out.contains("as gpt2") && exported.out.contains("with its char tokenizer"),
             qPrintable(exported.out));
    QCOMPARE(runCli({"logits", hf, "--ids", "1,2,3"}).out,
             runCli({"logits", runDir + "/checkpoints/teacher.pt", "--ids", "1,2,3"}).out);
  }

  // A finished run reruns from its config.yaml into a new folder: the same build on the same
  // machine gives every model's val loss to the last digit; a changed thread count is named.
  void aFinishedRunIsReproduced() {
    QTemporaryDir dir;
    const QString runDir = dir.filePath("run");
    const auto r =
        runCli(QStringList{"run", DISTILL_PROJECT_DIR "/experiments/shakespeare_char.yaml", "--out", runDir,
                           "--set", "students=[{name: s, embd: 16}]", "--threads", "1"} +
               kFast);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const auto again = runCli({"run", "--reproduce", runDir, "--out", dir.filePath("again"), "--json"});
    QVERIFY2(again.exitCode == 0, qPrintable(again.err));
    const auto report = nlohmann::json::parse(again.out.toStdString())["reproduction"];
    QVERIFY(report["all_match"].get<bool>());
    QCOMPARE(report["models"].size(), size_t(3));
    for (const auto& d : report["provenance_differences"])  // only the file the settings came from
      QVERIFY2(d["key"].get<std::string>().rfind("inputs.experiment_file.", 0) == 0, d.dump().c_str());
    const auto unfinished = runCli({"run", "--reproduce", dir.path()});
    QCOMPARE(unfinished.exitCode, 2);
  }

  void pretrainedModelCommandsMatchTheReference() {
    const QString llama = DISTILL_FIXTURES_DIR "/llama-tiny";
    QFile refFile(llama + "/reference.json");
    QVERIFY(refFile.open(QIODevice::ReadOnly));
    const auto ref = QJsonDocument::fromJson(refFile.readAll()).object();
    auto idsText = [](const QJsonArray& ids) {
      QStringList parts;
      for (const auto& v : ids) parts << QString::number(v.toInt());
      return parts;
    };
    const QStringList prompt = idsText(ref["input_ids"].toArray()[0].toArray());

    const auto inspect = runCli({"inspect", llama});
    QCOMPARE(inspect.exitCode, 0);
    QVERIFY2(inspect.out.contains("llama") && inspect.out.contains("151872") && inspect.out.contains("F32"),
             qPrintable(inspect.out));

    // --all: one line per position, every value within 1e-4 of transformers' logits.
    const auto logits = runCli({"logits", llama, "--ids", prompt.join(','), "--all"});
    QCOMPARE(logits.exitCode, 0);
    const QStringList lines = logits.out.trimmed().split('\n');
    QCOMPARE(lines.size(), prompt.size());
    const auto expected = ref["logits"].toArray()[0].toArray();
    double worst = 0.0;
    for (int t = 0; t < lines.size(); ++t) {
      const QStringList values = lines[t].split(' ');
      QCOMPARE(values.size(), 512);
      for (int v = 0; v < values.size(); ++v)
        worst = std::max(worst, std::abs(values[v].toDouble() - expected[t].toArray()[v].toDouble()));
    }
    QVERIFY2(worst < 1e-4, qPrintable(QString::number(worst)));
    QCOMPARE(runCli({"logits", llama, "--ids", prompt.join(',')}).out.trimmed(), lines.last());

    const auto generated = runCli({"generate", "--model", llama, "--ids", prompt.join(','), "--greedy",
                                   "--max-new-tokens", "16", "--print-ids"});
    QCOMPARE(generated.exitCode, 0);
    QCOMPARE(generated.out.trimmed(), idsText(ref["greedy_new_ids"].toArray()).join(' '));

    const auto tokenized = runCli({"tokenize", "--tokenizer", DISTILL_FIXTURES_DIR "/bpe512", "--text",
                                   "don't we'll I'm they've she'd it's"});
    QCOMPARE(tokenized.out.trimmed(), QString("68 276 7 84 332 456 292 7 77 268 89 7 294 481 345 339 321"));

    // Text prompts need tokenizer files, which the fixture folder does not have.
    const auto noTokenizer =
        runCli({"generate", "--model", llama, "--prompt", "hi", "--max-new-tokens", "2"});
    QCOMPARE(noTokenizer.exitCode, 1);
    QVERIFY2(noTokenizer.err.contains("no tokenizer files"), qPrintable(noTokenizer.err));
    const auto outOfVocabulary = runCli({"logits", llama, "--ids", "3,999"});
    QCOMPARE(outOfVocabulary.exitCode, 1);
    QVERIFY2(outOfVocabulary.err.contains("999"), qPrintable(outOfVocabulary.err));
  }

  void benchPrintsOneJsonLineOnThePeersShapes() {
    const auto r = runCli({"bench", "--config", "small", "--steps", "1", "--threads", "1"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const auto lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 1);
    const auto json = QJsonDocument::fromJson(lines.front().toUtf8()).object();
    // Parameter counts of the peer's GPT (ref_distill.py --config small): same architecture.
    QCOMPARE(json["teacher_params"].toInteger(), 818176);
    QCOMPARE(json["student_params"].toInteger(), 112512);
    QVERIFY(json["teacher_train_tok_s"].toDouble() > 0.0);
    QVERIFY(json["student_kd_tok_s"].toDouble() > 0.0);
    QCOMPARE(json["threads"].toInt(), 1);
    const auto bad = runCli({"bench", "--config", "huge"});
    QVERIFY(bad.exitCode != 0 && !bad.crashed);
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
