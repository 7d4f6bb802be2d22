// Checkpoints: save → load gives the same logits; damaged files give clear errors.
#include <torch/torch.h>

#include <QtTest>
#include <nlohmann/json.hpp>

#include "distill/errors.h"
#include "distill/model_info.h"
#include "io/checkpoint.h"
#include "model_specs.h"
#include "models/model_factory.h"

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

  // The closed form guards checkpoint loading and the form's size line: it must count exactly what
  // the modules hold, for every architecture and every option that changes the count.
  void closedFormParameterCountMatchesTheModules_data() {
    QTest::addColumn<QString>("arch");
    QTest::addColumn<int>("layers");
    QTest::addColumn<int>("hidden");
    QTest::addColumn<int>("kvHeads");
    QTest::addColumn<bool>("bias");
    QTest::addColumn<bool>("tie");
    for (const char* arch : {"transformer", "llama"})
      for (bool bias : {true, false})
        for (bool tie : {true, false})
          for (int kv : {0, 1})
            QTest::newRow(qPrintable(QString("%1 bias=%2 tie=%3 kv=%4").arg(arch).arg(bias).arg(tie).arg(kv)))
                << arch << 3 << 40 << kv << bias << tie;
    QTest::newRow("llama default MLP width") << "llama" << 2 << 0 << 0 << false << false;
    for (const char* arch : {"lstm", "gru"}) {
      QTest::newRow(qPrintable(QString("%1 one layer").arg(arch))) << arch << 1 << 0 << 0 << true << false;
      QTest::newRow(qPrintable(QString("%1 three layers, own width").arg(arch)))
          << arch << 3 << 40 << 0 << true << false;
    }
  }
  void closedFormParameterCountMatchesTheModules() {
    QFETCH(QString, arch);
    QFETCH(int, layers);
    QFETCH(int, hidden);
    QFETCH(int, kvHeads);
    QFETCH(bool, bias);
    QFETCH(bool, tie);
    ModelSpec spec = smallSpec(arch);
    spec.layers = layers;
    spec.heads = 4;
    spec.embd = 32;
    spec.hidden = hidden;
    spec.kv_heads = arch == "llama" ? kvHeads : 0;
    spec.bias = bias;
    spec.tie_weights = tie;
    const long long vocab = 67;
    const int block = 24;
    const auto model = makeModel(spec, vocab, block);
    QCOMPARE(parameterCount(spec, vocab, block), static_cast<long long>(model->parameterCount()));
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
