// The teacher-logit cache: file round trip, damaged files, sparse KL against the full KL, and a
// run distilled from the cache.
#include <torch/torch.h>

#include <QtTest>

#include "distill/errors.h"
#include "distill/experiment.h"
#include "kd/logit_cache.h"
#include "kd/losses.h"

using namespace distill;

namespace {

LogitCacheHeader header(uint32_t k, uint32_t steps) {
  LogitCacheHeader h;
  h.vocabSize = 11;
  h.topK = k;
  h.blockSize = 5;
  h.batchSize = 3;
  h.steps = steps;
  h.temperature = 2.0f;
  h.seed = 7;
  return h;
}

class Quiet : public RunObserver {
public:
  void onMessage(const std::string& m) override { messages.push_back(m); }
  std::vector<std::string> messages;
};

}  // namespace

class TestLogitCache : public QObject {
  Q_OBJECT
private slots:
  void writesAndReadsBackTheTopK() {
    torch::manual_seed(0);
    QTemporaryDir dir;
    const auto path = dir.filePath("c.cache").toStdString();
    std::vector<torch::Tensor> logits;
    {
      LogitCacheWriter writer(path, header(4, 2));
      for (int s = 0; s < 2; ++s) {
        logits.push_back(torch::randn({3, 5, 11}));
        writer.append(logits.back());
      }
      writer.finish();
    }
    LogitCache cache(path);
    QVERIFY(cache.header() == header(4, 2));
    torch::Tensor ids, logProbs;
    cache.read(1, &ids, &logProbs);
    auto [values, indices] = torch::log_softmax(logits[1] / 2.0, -1).topk(4, -1);
    QVERIFY(torch::equal(ids, indices));
    QVERIFY(torch::allclose(logProbs, values));
  }

  void unfinishedOrDamagedCachesAreRefused() {
    QTemporaryDir dir;
    const auto path = dir.filePath("c.cache").toStdString();
    {
      LogitCacheWriter writer(path, header(4, 2));
      writer.append(torch::randn({3, 5, 11}));
      // destroyed before finish(): nothing is left behind
    }
    QVERIFY(!QFile::exists(QString::fromStdString(path)));
    {
      LogitCacheWriter writer(path, header(4, 1));
      writer.append(torch::randn({3, 5, 11}));
      writer.finish();
    }
    QVERIFY(QFile::resize(QString::fromStdString(path), 100));
    try {
      LogitCache cache(path);
      QFAIL("expected an error");
    } catch (const EngineError& e) {
      QVERIFY2(QString(e.what()).contains("truncated"), e.what());
    }
  }

  void sparseKlIsTheFullKlWhenKCoversTheVocabularyAndALowerBoundOtherwise() {
    torch::manual_seed(1);
    auto student = torch::randn({2, 4, 9}, torch::kFloat64);
    auto teacher = torch::randn({2, 4, 9}, torch::kFloat64) * 3;
    const double T = 1.5;
    const double full = forwardKl(student, teacher, T).item<double>();
    auto lp = torch::log_softmax(teacher / T, -1);
    for (int k : {9, 4, 1}) {
      auto [values, ids] = lp.topk(k, -1);
      const double sparse = sparseForwardKl(student, ids, values, T).item<double>();
      if (k == 9) {
        QVERIFY2(std::abs(sparse - full) < 1e-9, qPrintable(QString("k=V: %1 vs %2").arg(sparse).arg(full)));
      } else {
        QVERIFY2(sparse <= full + 1e-12, qPrintable(QString("k=%1: %2 > %3").arg(k).arg(sparse).arg(full)));
        QVERIFY(sparse >= 0.0);
      }
    }
  }

  void aRunDistilsFromTheCacheAndAnotherReusesIt() {
    QTemporaryDir dir;
    auto loaded = parseExperiment(
        "data: {block_size: 16}\nteacher: {layers: 1, heads: 2, embd: 16}\n"
        "students: [{name: s, layers: 1, heads: 2, embd: 8}]\n"
        "distill: {cache_top_k: 8}\n"
        "train: {steps: 20, batch_size: 4, eval_interval: 10, eval_batches: 1, threads: 1}\n"
        "generate: {prompts: [\"A\"], max_new_tokens: 4}\n",
        ".");
    QVERIFY(loaded.ok());
    RunControl control;
    RunOptions options;
    options.outDir = dir.filePath("first").toStdString();
    Quiet first;
    const auto result = runExperiment(loaded.config, options, first, control);
    QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());
    const QString cachePath = dir.filePath("first/teacher_logits.cache");
    QVERIFY(QFile::exists(cachePath));
    // 20 steps × 4 × 16 positions × 8 × (4 + 4) bytes + 64-byte header
    QCOMPARE(QFileInfo(cachePath).size(), 64 + 20LL * 4 * 16 * 8 * 8);

    auto reuse = loaded.config;
    reuse.teacher.checkpoint = dir.filePath("first/checkpoints/teacher.pt").toStdString();
    reuse.distill.cache_path = cachePath.toStdString();
    options.outDir = dir.filePath("second").toStdString();
    Quiet second;
    const auto again = runExperiment(reuse, options, second, control);
    QVERIFY2(again.status == RunResult::Status::Completed, again.error.c_str());
    QVERIFY(!QFile::exists(dir.filePath("second/teacher_logits.cache")));
    // Same teacher, same cached targets, same seed: the distilled student ends the same.
    QCOMPARE(again.models[1].valLoss, result.models[1].valLoss);
  }

  void cacheNeedsKlAndAConstantTemperature() {
    auto loaded = parseExperiment("distill: {cache_top_k: 8, loss: jsd}\n", ".");
    QVERIFY(!loaded.ok());
    QVERIFY(QString::fromStdString(loaded.problems.front().message).contains("kl only"));
  }
};

QTEST_APPLESS_MAIN(TestLogitCache)
#include "tst_logit_cache.moc"
