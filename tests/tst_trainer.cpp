// One optimiser step: the schedule, and a clear error for a non-finite loss.
#include <torch/torch.h>

#include <QtTest>

#include "model_factory.h"
#include "model_specs.h"
#include "trainer.h"

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
    QVERIFY(std::abs(learningRateAt(10, 100, t) - 1e-3) < 1e-12);  // cosine starts at the peak
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
};

QTEST_APPLESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
