// Corpus loading: splits, batches, and a clear error for every unusable file.
#include <torch/torch.h>

#include <QtTest>

#include "data/corpus.h"
#include "distill/errors.h"

using namespace distill;

namespace {

QString writeTemp(QTemporaryDir& dir, const QByteArray& bytes) {
  const QString path = dir.filePath("corpus.txt");
  QFile f(path);
  f.open(QIODevice::WriteOnly);
  f.write(bytes);
  return path;
}

QString errorOf(const DataConfig& data) {
  try {
    loadCorpus(data);
  } catch (const EngineError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

class TestCorpus : public QObject {
  Q_OBJECT
private slots:
  void splitsTrainAndValidation() {
    DataConfig data;
    data.corpus = DISTILL_TEST_DATA_DIR "/tiny.txt";
    data.block_size = 4;
    data.val_fraction = 0.25;
    const auto corpus = loadCorpus(data);
    const auto total = corpus.train.size() + corpus.val.size();
    QCOMPARE(total, corpus.bytes);  // ASCII: one token per byte
    QCOMPARE(corpus.val.size(), static_cast<int64_t>(std::llround(total * 0.25)));
  }

  void batchesAreShiftedWindowsAndReproducible() {
    auto tokens = torch::arange(100, torch::kInt64);
    BatchSampler a(tokens, 8, 3, 7), b(tokens, 8, 3, 7);
    const auto x = a.next(), y = b.next();
    QVERIFY(torch::equal(x.x, y.x));
    QVERIFY(torch::equal(x.y, x.x + 1));  // arange: the next token is always id + 1
    QCOMPARE(x.x.sizes().vec(), (std::vector<int64_t>{3, 8}));
  }

  void unusableCorporaGiveClearErrors_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("blockSize");
    QTest::addColumn<QString>("message");
    QTest::newRow("empty") << QByteArray() << 4 << "corpus is empty";
    QTest::newRow("binary") << QByteArray("abc\0def", 7) << 2 << "looks binary";
    QTest::newRow("invalid utf-8") << QByteArray("abc\xff\xfe text", 10) << 2 << "not valid UTF-8";
    QTest::newRow("block too large") << QByteArray("abcdefghij") << 64 << "data.block_size 64 is too large";
  }
  void unusableCorporaGiveClearErrors() {
    QFETCH(QByteArray, bytes);
    QFETCH(int, blockSize);
    QFETCH(QString, message);
    QTemporaryDir dir;
    DataConfig data;
    data.corpus = writeTemp(dir, bytes).toStdString();
    data.block_size = blockSize;
    const QString error = errorOf(data);
    QVERIFY2(error.contains(message), qPrintable(error));
  }

  void missingCorpusNamesThePath() {
    DataConfig data;
    data.corpus = "/nonexistent/corpus.txt";
    QVERIFY(errorOf(data).contains("corpus not found: /nonexistent/corpus.txt"));
  }
};

QTEST_APPLESS_MAIN(TestCorpus)
#include "tst_corpus.moc"
