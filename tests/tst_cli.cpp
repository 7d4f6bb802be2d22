// The `distill` command line: bad input gets one clear line and a non-zero exit, never a crash.
#include <torch/torch.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

namespace {

struct CliResult {
  int exitCode = -1;
  bool crashed = false;
  QString out;
  QString err;
};

CliResult runCli(const QStringList& args, int timeoutMs = 120000) {
  QProcess process;
  process.start(DISTILL_CLI_PATH, args);
  CliResult r;
  if (!process.waitForFinished(timeoutMs)) {
    process.kill();
    process.waitForFinished();
    r.crashed = true;
    r.err = "timed out (hang)";
    return r;
  }
  r.crashed = process.exitStatus() != QProcess::NormalExit;
  r.exitCode = process.exitCode();
  r.out = QString::fromUtf8(process.readAllStandardOutput());
  r.err = QString::fromUtf8(process.readAllStandardError());
  return r;
}

QString writeFile(QTemporaryDir& dir, const QString& name, const QByteArray& bytes) {
  const QString path = dir.filePath(name);
  QFile f(path);
  f.open(QIODevice::WriteOnly);
  f.write(bytes);
  return path;
}

const QStringList kFast = {"--set", "train.steps=3", "--set", "train.eval_batches=1", "--set", "generate.max_new_tokens=4"};

}  // namespace

class TestCli : public QObject {
  Q_OBJECT
private slots:
  void badInputGivesOneLine_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    QTest::newRow("missing experiment file") << "missing" << 2 << "no such file";
    QTest::newRow("yaml syntax error") << "syntax" << 2 << "bad.yaml:3:1: (syntax): end of sequence flow not found";
    QTest::newRow("unknown key") << "unknown" << 2 << "bad.yaml:2:3: train.stepz: unknown key";
    QTest::newRow("wrong type") << "type" << 2 << "bad.yaml:2:15: train.batch_size: expected an integer, got 'ten'";
    QTest::newRow("missing corpus") << "nocorpus" << 1 << "corpus not found";
    QTest::newRow("empty corpus") << "empty" << 1 << "corpus is empty";
    QTest::newRow("binary corpus") << "binary" << 1 << "looks binary";
    QTest::newRow("block size larger than corpus") << "block" << 1 << "is too large for the corpus";
    QTest::newRow("teacher checkpoint that is not one") << "badteacher" << 1 << "not a readable LibTorch archive";
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
      writeFile(dir, "c.txt", kind == "empty" ? QByteArray() : kind == "binary" ? QByteArray("ab\0\1\2", 5) : QByteArray("short text"));
      writeFile(dir, "bad.yaml", "data: {corpus: c.txt}\n");
    }
    if (kind == "badteacher") {
      writeFile(dir, "t.pt", QByteArray(1000, 'z'));
      writeFile(dir, "bad.yaml", "teacher: {checkpoint: t.pt}\n");
    }
    const auto r = runCli(QStringList{"run", file, "--out", dir.filePath("run")} + kFast);
    QVERIFY2(!r.crashed, qPrintable(r.err));
    QCOMPARE(r.exitCode, exitCode);
    const QStringList lines = r.err.trimmed().split('\n');
    QCOMPARE(lines.size(), 1);
    QVERIFY2(lines.front().contains(message), qPrintable(lines.front()));
  }

  void validateReportsEveryProblem() {
    QTemporaryDir dir;
    const auto file = writeFile(dir, "bad.yaml", "train:\n  steps: x\n  lr: -1\nextra: 1\n");
    const auto r = runCli({"validate", file});
    QCOMPARE(r.exitCode, 2);
    QCOMPARE(r.err.trimmed().split('\n').size(), 2);  // steps (type) and extra (unknown); range checks wait for types
    const auto ok = runCli({"validate", DISTILL_PROJECT_DIR "/experiments/shakespeare_char.yaml"});
    QCOMPARE(ok.exitCode, 0);
  }

  void runThenGenerate() {
    QTemporaryDir dir;
    const QString runDir = dir.filePath("run");
    const auto r = runCli(QStringList{"run", DISTILL_PROJECT_DIR "/experiments/shakespeare_char.yaml", "--out", runDir,
                                      "--set", "students=[{name: s, embd: 16}]"} +
                          kFast);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(r.out.contains("[teacher] step 3/3"));
    QVERIFY(r.out.contains("s-kd"));
    const auto g = runCli({"generate", runDir, "--model", "s-kd", "--prompt", "ROMEO:", "--max-new-tokens", "12", "--greedy"});
    QVERIFY2(g.exitCode == 0, qPrintable(g.err));
    QVERIFY(g.out.startsWith("ROMEO:"));
    QCOMPARE(g.out.trimmed().size() >= 6, true);
    const auto missing = runCli({"generate", runDir, "--model", "nope", "--prompt", "x"});
    QCOMPARE(missing.exitCode, 2);
    QVERIFY(missing.err.contains("models: s-kd, s-scratch, teacher"));

    // The teacher as a Hugging Face folder: it imports, and gives the checkpoint's logits.
    const QString hf = dir.filePath("hf");
    const auto exported = runCli({"export-hf", runDir + "/checkpoints/teacher.pt", "--out", hf});
    QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
    QVERIFY2(exported.out.contains("as gpt2") && exported.out.contains("char tokenizer has no Hugging Face format"),
             qPrintable(exported.out));
    QCOMPARE(runCli({"logits", hf, "--ids", "1,2,3"}).out, runCli({"logits", runDir + "/checkpoints/teacher.pt", "--ids", "1,2,3"}).out);
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
    QVERIFY2(inspect.out.contains("llama") && inspect.out.contains("151872") && inspect.out.contains("F32"), qPrintable(inspect.out));

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

    const auto generated = runCli({"generate", "--model", llama, "--ids", prompt.join(','), "--greedy", "--max-new-tokens", "16", "--print-ids"});
    QCOMPARE(generated.exitCode, 0);
    QCOMPARE(generated.out.trimmed(), idsText(ref["greedy_new_ids"].toArray()).join(' '));

    const auto tokenized = runCli({"tokenize", "--tokenizer", DISTILL_FIXTURES_DIR "/bpe512", "--text", "don't we'll I'm they've she'd it's"});
    QCOMPARE(tokenized.out.trimmed(), QString("68 276 7 84 332 456 292 7 77 268 89 7 294 481 345 339 321"));

    // Text prompts need tokenizer files, which the fixture folder does not have.
    const auto noTokenizer = runCli({"generate", "--model", llama, "--prompt", "hi", "--max-new-tokens", "2"});
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
