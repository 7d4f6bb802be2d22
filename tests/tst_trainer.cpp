// One optimiser step: the schedule, and a clear error for a non-finite loss.
#include <torch/torch.h>

#include <QtTest>

#include "model_specs.h"
#include "models/model_factory.h"
#include "train/trainer.h"

using namespace distill;

class TestTrainer : public QObject {
  Q_OBJECT
private slots:
  void scheduleWarmsUpThenDecays() {
    TrainConfig t;
    t.lr = 1e-3;
    t.min_lr = 1e-4;
    t.warmup_steps = 10;
    QCOMPARE(learningRateAt(0, 100, t), 1e-4);  // (0 + 1) / 10 of the peak
    QCOMPARE(learningRateAt(9, 100, t), 1e-3);
    QVERIFY(std::abs(learningRateAt(10, 100, t) - 1e-3) < 1e-12);    // cosine starts at the peak
    QVERIFY(std::abs(learningRateAt(55, 100, t) - 5.5e-4) < 1e-12);  // halfway: mean of peak and floor
    QVERIFY(std::abs(learningRateAt(100, 100, t) - 1e-4) < 1e-12);
    QVERIFY(std::abs(learningRateAt(500, 100, t) - 1e-4) < 1e-12);  // stays at the floor
  }

  void nonFiniteLossNamesModelAndStepAndKeepsWeights() {
    torch::manual_seed(0);
    auto model = makeModel(smallSpec("gru"), 7, 8);
    TrainConfig t;
    ModelTrainer trainer("gru-kd", model, t, 10);
    Batch batch{torch::randint(0, 7, {2, 8}, torch::kInt64), torch::randint(0, 7, {2, 8}, torch::kInt64)};
    trainer.step(batch);
    {
      torch::NoGradGuard noGrad;
      model->named_parameters()["head.bias"].fill_(std::numeric_limits<float>::quiet_NaN());
    }
    const auto before = model->named_parameters()["head.weight"].clone();
    try {
      trainer.step(batch);
      QFAIL("expected a non-finite loss error");
    } catch (const NonFiniteLossError& e) {
      QVERIFY2(QString(e.what()).contains("model 'gru-kd': loss became NaN at step 2"), e.what());
    }
    QVERIFY(torch::equal(before, model->named_parameters()["head.weight"]));
    QCOMPARE(trainer.stepsDone(), 1);
  }

  void nonFiniteGradientBehindAFiniteLossKeepsWeightsAndMoments_data() {
    QTest::addColumn<double>("gradClip");
    QTest::newRow("clipping") << 1.0;
    QTest::newRow("no clipping") << 0.0;
  }
  void nonFiniteGradientBehindAFiniteLossKeepsWeightsAndMoments() {
    QFETCH(double, gradClip);
    torch::manual_seed(0);
    auto model = makeModel(smallSpec("transformer"), 7, 8);
    TrainConfig t;
    t.grad_clip = gradClip;
    ModelTrainer trainer("tf-kd", model, t, 10);
    Batch batch{torch::randint(0, 7, {2, 8}, torch::kInt64), torch::randint(0, 7, {2, 8}, torch::kInt64)};
    trainer.step(batch);
    const auto weights = model->named_parameters()["head.weight"].clone();
    // An overflow in backward only: the loss stays finite.
    auto hook = model->named_parameters()["head.weight"].register_hook(
        [](const torch::Tensor& g) { return g * std::numeric_limits<float>::infinity(); });
    try {
      trainer.step(batch);
      QFAIL("expected a non-finite gradient error");
    } catch (const NonFiniteLossError& e) {
      QVERIFY2(QString(e.what()).contains("model 'tf-kd': gradient became"), e.what());
      QVERIFY2(QString(e.what()).contains("at step 2"), e.what());
    }
    model->named_parameters()["head.weight"].remove_hook(hook);
    QVERIFY(torch::equal(weights, model->named_parameters()["head.weight"]));
    QCOMPARE(trainer.stepsDone(), 1);
    // The optimizer's moments did not move either: the next step is the one a trainer that never
    // met the fault takes.
    trainer.step(batch);
    torch::manual_seed(0);
    auto twin = makeModel(smallSpec("transformer"), 7, 8);
    ModelTrainer twinTrainer("twin", twin, t, 10);
    twinTrainer.step(batch);
    twinTrainer.step(batch);
    QVERIFY(torch::equal(twin->named_parameters()["head.weight"], model->named_parameters()["head.weight"]));
  }

  void nonFiniteLossInOneChunkKeepsWeights() {
    torch::manual_seed(0);
    auto model = makeModel(smallSpec("transformer"), 7, 8);
    ModelTrainer trainer("t", model, TrainConfig{}, 10);
    trainer.setParallelism(2);
    Batch batch{torch::randint(0, 7, {4, 8}, torch::kInt64), torch::randint(0, 7, {4, 8}, torch::kInt64)};
    SoftTargets targets;
    targets.teacherLogits = torch::randn({4, 8, 7});
    targets.teacherLogits[3][2][1] = std::numeric_limits<float>::quiet_NaN();  // second chunk only
    DistillConfig kd;
    kd.loss = DistillLoss::Mse;  // on raw logits, so the NaN reaches the loss
    const auto before = model->named_parameters()["head.weight"].clone();
    QVERIFY_EXCEPTION_THROWN(trainer.step(batch, &targets, &kd), NonFiniteLossError);
    QVERIFY(torch::equal(before, model->named_parameters()["head.weight"]));
    for (const auto& p : model->parameters())
      QVERIFY(!p.grad().defined() || p.grad().abs().sum().item<double>() == 0.0);
  }

  void rowChunksSideBySideMatchOneBatch_data() {
    QTest::addColumn<bool>("distilled");
    QTest::newRow("cross-entropy") << false;
    QTest::newRow("kd") << true;
  }
  void rowChunksSideBySideMatchOneBatch() {
    QFETCH(bool, distilled);
    auto train = [&](int workers) {
      torch::manual_seed(1);
      auto model = makeModel(smallSpec("transformer"), 11, 8);
      ModelTrainer trainer("t", model, TrainConfig{}, 5);
      trainer.setParallelism(workers);
      std::vector<double> losses;
      for (int step = 0; step < 3; ++step) {
        Batch batch{torch::randint(0, 11, {5, 8}, torch::kInt64),
                    torch::randint(0, 11, {5, 8}, torch::kInt64)};
        SoftTargets targets;
        targets.teacherLogits = torch::randn({5, 8, 11});
        DistillConfig kd;
        losses.push_back(distilled ? trainer.step(batch, &targets, &kd).loss : trainer.step(batch).loss);
      }
      return std::make_pair(losses, torch::cat({model->named_parameters()["block0.qkv.weight"].flatten(),
                                                model->named_parameters()["head.weight"].flatten()}));
    };
    const auto [oneLoss, one] = train(1);
    const auto [twoLoss, two] = train(2);
    const auto [againLoss, again] = train(2);
    for (size_t i = 0; i < oneLoss.size(); ++i) QVERIFY(std::abs(oneLoss[i] - twoLoss[i]) < 1e-5);
    const double diff = (one - two).abs().max().item<double>();
    QVERIFY2(diff < 1e-5, qPrintable(QString("max parameter difference %1").arg(diff)));
    QVERIFY(torch::equal(two, again));  // reproducible: two gradient contributions add in either order
  }

  void chunkedForwardMatchesForward() {
    torch::manual_seed(2);
    auto model = makeModel(smallSpec("transformer"), 11, 8);
    const auto x = torch::randint(0, 11, {5, 8}, torch::kInt64);
    torch::NoGradGuard noGrad;
    QVERIFY(torch::allclose(forwardInChunks(*model, x, 2), model->forward(x), 1e-5, 1e-6));
  }
};

QTEST_APPLESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
