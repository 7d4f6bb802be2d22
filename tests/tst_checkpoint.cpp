// Checkpoints: save → load gives the same logits; damaged files give clear errors.
#include <torch/torch.h>

#include <QtTest>
#include <nlohmann/json.hpp>

#include "checkpoint.h"
#include "distill/errors.h"
#include "model_factory.h"
#include "model_specs.h"

using namespace distill;

namespace {

CheckpointInfo infoFor(const ModelSpec& spec, const CharTokenizer& tokenizer) {
  CheckpointInfo info;
  info.modelName = "m";
  info.spec = spec;
  info.vocabSize = tokenizer.vocabSize();
  info.blockSize = 16;
  info.step = 3;
  info.tokenizer = tokenizer;
  return info;
}

}  // namespace

class TestCheckpoint : public QObject {
  Q_OBJECT
private slots:
  void saveLoadGivesIdenticalLogits_data() { addModelSpecRows(); }
  void saveLoadGivesIdenticalLogits() {
    QFETCH(QString, arch);
    torch::manual_seed(1);
    const auto tokenizer = CharTokenizer::fromText("abcdefghij\n ");
    const auto spec = smallSpec(arch);
    auto model = makeModel(spec, tokenizer.vocabSize(), 16);
    QTemporaryDir dir;
    const auto path = dir.filePath("m.pt").toStdString();
    saveCheckpoint(path, *model, infoFor(spec, tokenizer));

    const auto loaded = loadCheckpoint(path);
    QCOMPARE(loaded.info.step, 3);
    QVERIFY(loaded.info.tokenizer.toJson() == Tokenizer(tokenizer).toJson());
    QCOMPARE(loaded.info.spec.kv_heads, spec.kv_heads);
    model->eval();
    loaded.model->eval();
    auto ids = torch::randint(0, tokenizer.vocabSize(), {2, 10}, torch::kInt64);
    torch::NoGradGuard noGrad;
    QVERIFY(torch::equal(model->forward(ids), loaded.model->forward(ids)));
  }

  void damagedFilesAreReported_data() {
    QTest::addColumn<int>("keepBytes");
    QTest::addColumn<QString>("message");
    QTest::newRow("truncated") << 200 << "not a readable LibTorch archive";
    QTest::newRow("empty") << 0 << "not a readable LibTorch archive";
  }
  void damagedFilesAreReported() {
    QFETCH(int, keepBytes);
    QFETCH(QString, message);
    const auto tokenizer = CharTokenizer::fromText("ab");
    auto model = makeModel(smallSpec("gru"), tokenizer.vocabSize(), 16);
    QTemporaryDir dir;
    const QString path = dir.filePath("m.pt");
    saveCheckpoint(path.toStdString(), *model, infoFor(smallSpec("gru"), tokenizer));
    QVERIFY(QFile::resize(path, keepBytes));
    try {
      loadCheckpoint(path.toStdString());
      QFAIL("expected an error");
    } catch (const EngineError& e) {
      QVERIFY2(QString(e.what()).contains(message), e.what());
    }
  }

  void garbageFileIsReported() {
    QTemporaryDir dir;
    const QString path = dir.filePath("junk.pt");
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write(QByteArray(4096, 'x'));
    f.close();
    QVERIFY_THROWS_EXCEPTION(EngineError, loadCheckpoint(path.toStdString()));
  }

  void missingFileIsReported() {
    try {
      loadCheckpoint("/nonexistent/teacher.pt");
      QFAIL("expected an error");
    } catch (const EngineError& e) {
      QVERIFY2(QString(e.what()).contains("checkpoint not found"), e.what());
    }
  }
};

QTEST_APPLESS_MAIN(TestCheckpoint)
#include "tst_checkpoint.moc"
