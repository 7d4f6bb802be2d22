// Incremental decoding (KV cache, carried recurrent state) against full recomputation.
#include <torch/torch.h>

#include <QtTest>

#include "model_specs.h"
#include "models/model_factory.h"
#include "models/sampling.h"

using namespace distill;

class TestGeneration : public QObject {
  Q_OBJECT
private slots:
  void decodeMatchesForwardLogits_data() { addModelSpecRows(); }
  void decodeMatchesForwardLogits() {
    QFETCH(QString, arch);
    torch::manual_seed(3);
    auto model = makeModel(smallSpec(arch), 11, 32);
    model->eval();
    torch::NoGradGuard noGrad;
    auto ids = torch::randint(0, 11, {2, 20}, torch::kInt64);
    auto full = model->forward(ids);  // (2, 20, 11)
    auto state = model->startDecoding();
    // Feed a 7-token chunk, then one token at a time, as generation does.
    std::vector<torch::Tensor> parts = {model->decode(ids.slice(1, 0, 7), *state)};
    for (int t = 7; t < 20; ++t) parts.push_back(model->decode(ids.slice(1, t, t + 1), *state));
    const double maxDiff = (torch::cat(parts, 1) - full).abs().max().item<double>();
    QVERIFY2(maxDiff < 1e-5, qPrintable(QString("max abs diff %1").arg(maxDiff)));
  }

  void incrementalGenerationGivesSameTokens_data() {
    QTest::addColumn<QString>("arch");
    QTest::addColumn<bool>("greedy");
    for (const char* arch : {"transformer", "lstm", "gru"}) {
      QTest::newRow((std::string(arch) + " greedy").c_str()) << arch << true;
      QTest::newRow((std::string(arch) + " sampled").c_str()) << arch << false;
    }
  }
  void incrementalGenerationGivesSameTokens() {
    QFETCH(QString, arch);
    QFETCH(bool, greedy);
    torch::manual_seed(5);
    auto model = makeModel(smallSpec(arch), 13, 32);
    SamplingOptions options;
    options.maxNewTokens = 24;  // prompt 6 + 24 new stays inside the block of 32
    options.greedy = greedy;
    options.temperature = 1.0;
    options.topK = 0;
    options.seed = 9;
    const std::vector<int64_t> prompt = {1, 2, 3, 4, 5, 6};
    const auto cached = generateIds(*model, prompt, options);
    const auto recomputed = generateIdsByRecompute(*model, prompt, options);
    QCOMPARE(cached.size(), size_t(24));
    QCOMPARE(cached, recomputed);
  }

  void generationPastTheBlockSizeKeepsGoing() {
    torch::manual_seed(5);
    auto model = makeModel(smallSpec("transformer"), 13, 8);
    SamplingOptions options;
    options.maxNewTokens = 40;
    QCOMPARE(generateIds(*model, {1, 2, 3}, options).size(), size_t(40));
  }

  void pickTokenRespectsTopKAndTopP() {
    const float logits[5] = {0.0f, 5.0f, 4.9f, -1.0f, 1.0f};
    std::mt19937_64 rng(1);
    SamplingOptions topK;
    topK.topK = 2;
    topK.temperature = 1.0;
    SamplingOptions topP;
    topP.topK = 0;
    topP.topP = 0.3;  // the best token alone holds more than 30% of the mass
    topP.temperature = 1.0;
    for (int i = 0; i < 200; ++i) {
      const auto k = pickToken(logits, 5, topK, rng);
      QVERIFY(k == 1 || k == 2);
      QCOMPARE(pickToken(logits, 5, topP, rng), int64_t(1));
    }
    SamplingOptions greedy;
    greedy.greedy = true;
    QCOMPARE(pickToken(logits, 5, greedy, rng), int64_t(1));
  }
};

QTEST_APPLESS_MAIN(TestGeneration)
#include "tst_generation.moc"
