// Where and in which precision a run computes: train.device / train.precision validation, the
// autocast scope, fp16 loss scaling, the same training on every device, checkpoints that load on
// the CPU whichever LibTorch (1.13 or 2.x) and device wrote them.
#include <torch/torch.h>

#include <QtTest>
#include <nlohmann/json.hpp>

#include "distill/experiment.h"
#include "io/checkpoint.h"
#include "model_specs.h"
#include "models/model_factory.h"
#include "train/trainer.h"
#include "util/compute_device.h"

using namespace distill;

namespace {

/// The devices a device-parameterised case runs on: the CPU always, CUDA where a GPU is visible
/// (the case skips, saying so, elsewhere).
void addDeviceRows() {
  QTest::addColumn<QString>("device");
  QTest::newRow("cpu") << "cpu";
  QTest::newRow("cuda") << "cuda:0";
}

torch::Device deviceOrSkip(const QString& name, bool* skip) {
  *skip = name.startsWith("cuda") && cudaDeviceCount() == 0;
  return *skip ? torch::Device(torch::kCPU) : torch::Device(name.toStdString());
}

#define SKIP_WITHOUT_DEVICE(skip) \
  if (skip) QSKIP("no CUDA GPU visible to this LibTorch: the CUDA case runs on a GPU machine")

Batch fixedBatch(int64_t vocab, int64_t rows, int64_t length) {
  torch::manual_seed(5);
  const auto ids = torch::randint(0, vocab, {rows, length + 1}, torch::kInt64);
  return {ids.slice(1, 0, length), ids.slice(1, 1, length + 1)};
}

/// Loss of each of `steps` steps of a seeded transformer on one repeated batch.
std::vector<double> trainLosses(const torch::Device& device, Precision precision, int steps) {
  torch::manual_seed(0);
  auto model = makeModel(smallSpec("transformer"), 11, 16);
  model->to(device);  // built on the CPU first: the same start on every device
  TrainConfig t;
  t.lr = 3e-3;
  t.warmup_steps = 0;
  t.precision = precision;
  ModelTrainer trainer("m", model, t, steps);
  const Batch batch = onDevice(fixedBatch(11, 4, 16), device);
  std::vector<double> losses;
  for (int i = 0; i < steps; ++i) losses.push_back(trainer.step(batch).loss);
  return losses;
}

/// Weights that need no random generator, so every LibTorch version builds the same ones.
LanguageModel referenceModel() {
  auto model = makeModel(smallSpec("transformer"), 9, 8);
  torch::NoGradGuard noGrad;
  int64_t offset = 0;
  for (auto& p : model->parameters()) {
    p.copy_(torch::sin(torch::arange(offset, offset + p.numel(), torch::kFloat64) * 0.37).reshape(p.sizes()));
    offset += p.numel();
  }
  return model;
}

CheckpointInfo referenceInfo(const LanguageModel& model) {
  CheckpointInfo info;
  info.modelName = "reference";
  info.spec = model->spec();
  info.vocabSize = 9;
  info.blockSize = 8;
  info.tokenizer = CharTokenizer::fromText("abcdefghi");
  return info;
}

}  // namespace

class TestComputeDevice : public QObject {
  Q_OBJECT
private slots:
  void initTestCase() {
    // Regenerates this build's cross-version fixture (see checkpointsOfBothLibTorchVersionsLoad).
    if (const char* path = std::getenv("DISTILL_WRITE_CHECKPOINT_FIXTURE")) {
      auto model = referenceModel();
      saveCheckpoint(path, *model, referenceInfo(model));
    }
  }

  void deviceSettingsAreCheckedAgainstThisMachine_data() {
    QTest::addColumn<QString>("device");
    QTest::addColumn<QString>("precision");
    QTest::addColumn<QString>("key");      // empty: accepted
    QTest::addColumn<QString>("message");  // part of the problem's message
    QTest::newRow("auto fp32") << "auto"
                               << "fp32"
                               << ""
                               << "";
    QTest::newRow("cpu bf16") << "cpu"
                              << "bf16"
                              << ""
                              << "";
    QTest::newRow("a misspelled device") << "gpu"
                                         << "fp32"
                                         << "train.device"
                                         << "must be auto, cpu, cuda or cuda:N";
    QTest::newRow("a GPU index no machine has") << "cuda:99"
                                                << "fp32"
                                                << "train.device"
                                                << "is 'cuda:99' but";
    QTest::newRow("fp16 on the CPU") << "cpu"
                                     << "fp16"
                                     << "train.precision"
                                     << "fp16 needs a CUDA device";
  }
  void deviceSettingsAreCheckedAgainstThisMachine() {
    QFETCH(QString, device);
    QFETCH(QString, precision);
    QFETCH(QString, key);
    QFETCH(QString, message);
    const auto loaded = parseExperiment(
        QString("train: {device: '%1', precision: %2}\n").arg(device, precision).toStdString(), ".");
    if (key.isEmpty()) {
      QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.problems.front().message.c_str());
      return;
    }
    QCOMPARE(loaded.problems.size(), size_t(1));
    QCOMPARE(QString::fromStdString(loaded.problems.front().key), key);
    QVERIFY2(QString::fromStdString(loaded.problems.front().message).contains(message),
             loaded.problems.front().message.c_str());
  }

  void cudaWithoutAGpuIsAClearErrorNotACrash() {
    if (cudaDeviceCount() > 0) QSKIP("this machine has a GPU: 'cuda' is valid here");
    const auto loaded = parseExperiment("train: {device: cuda}\n", ".");
    QCOMPARE(loaded.problems.size(), size_t(1));
    QVERIFY2(QString::fromStdString(loaded.problems.front().message).contains("sees no CUDA GPU"),
             loaded.problems.front().message.c_str());
    QVERIFY_THROWS_EXCEPTION(EngineError, resolveDevice("cuda"));
    QCOMPARE(resolveDevice("auto").type(), torch::kCPU);
  }

  void autocastComputesProductsInTheLowPrecisionForItsScopeOnly() {
    const auto a = torch::randn({4, 8}), b = torch::randn({8, 3});
    {
      const AutocastScope bf16(torch::kCPU, Precision::Bf16);
      QCOMPARE(torch::matmul(a, b).scalar_type(), torch::kBFloat16);
      // Models hand back float32 logits whatever the head computed in.
      auto model = makeModel(smallSpec("transformer"), 11, 16);
      QCOMPARE(model->forward(torch::zeros({1, 4}, torch::kInt64)).scalar_type(), torch::kFloat32);
    }
    QCOMPARE(torch::matmul(a, b).scalar_type(), torch::kFloat32);
    const AutocastScope fp32(torch::kCPU, Precision::Fp32);  // fp32: no autocast at all
    QCOMPARE(torch::matmul(a, b).scalar_type(), torch::kFloat32);
  }

  void bf16AutocastStepsTrainOnTheCpu() {
    const auto fp32 = trainLosses(torch::kCPU, Precision::Fp32, 40);
    const auto bf16 = trainLosses(torch::kCPU, Precision::Bf16, 40);
    QVERIFY2(bf16.back() < 0.8 * bf16.front(),
             qPrintable(QString("bf16 loss %1 -> %2").arg(bf16.front()).arg(bf16.back())));
    // The same model and data: bf16 follows fp32 loosely (8-bit mantissas in the products).
    QVERIFY2(std::abs(bf16.front() - fp32.front()) < 0.05,
             qPrintable(QString("first step: bf16 %1, fp32 %2").arg(bf16.front()).arg(fp32.front())));
    QVERIFY(bf16 != fp32);  // it did compute in bf16
  }

  void trainingMatchesTheCpuOnEveryDevice_data() { addDeviceRows(); }
  void trainingMatchesTheCpuOnEveryDevice() {
    QFETCH(QString, device);
    bool skip = false;
    const auto where = deviceOrSkip(device, &skip);
    SKIP_WITHOUT_DEVICE(skip);
    const auto cpu = trainLosses(torch::kCPU, Precision::Fp32, 20);
    const auto here = trainLosses(where, Precision::Fp32, 20);
    QVERIFY2(here.back() < 0.9 * here.front(),
             qPrintable(QString("%1 -> %2").arg(here.front()).arg(here.back())));
    for (size_t i = 0; i < cpu.size(); ++i)
      QVERIFY2(
          std::abs(here[i] - cpu[i]) < 1e-3,
          qPrintable(
              QString("step %1: %2 on %3, %4 on the CPU").arg(i + 1).arg(here[i]).arg(device).arg(cpu[i])));
  }

  void lossScalingSkipsOverflowsAndGrowsAfterGoodSteps() {
    LossScaler scaler(true, 1024.0, 3);
    QCOMPARE(scaler.scale(), 1024.0);
    QVERIFY(!scaler.update(false));  // overflow: skip, halve
    QCOMPARE(scaler.scale(), 512.0);
    QVERIFY(scaler.update(true));
    QVERIFY(scaler.update(true));
    QCOMPARE(scaler.scale(), 512.0);
    QVERIFY(scaler.update(true));  // the third good step in a row doubles it
    QCOMPARE(scaler.scale(), 1024.0);
    auto p = torch::ones({2}, torch::requires_grad());
    (p.sum() * scaler.scale()).backward();
    scaler.unscale({p});
    QVERIFY(torch::allclose(p.grad(), torch::ones({2})));
    const LossScaler off(false);
    QCOMPARE(off.scale(), 1.0);
  }

  void checkpointsOfBothLibTorchVersionsLoad_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("written by LibTorch 1.13 (Debian)") << "checkpoint-libtorch-1.13.pt";
    QTest::newRow("written by LibTorch 2.9 (PyPI)") << "checkpoint-libtorch-2.9.pt";
  }
  void checkpointsOfBothLibTorchVersionsLoad() {
    // Each file holds referenceModel()'s weights, saved by the build its name gives
    // (DISTILL_WRITE_CHECKPOINT_FIXTURE=<file> tst_compute_device in that build).
    QFETCH(QString, file);
    const auto loaded = loadCheckpoint(QString(DISTILL_TEST_DATA_DIR "/%1").arg(file).toStdString());
    const auto expected = referenceModel();
    const auto got = loaded.model->named_parameters();
    for (const auto& item : expected->named_parameters())
      QVERIFY2(torch::equal(got[item.key()], item.value()), item.key().c_str());
    QCOMPARE(loaded.info.tokenizer.vocabSize(), int64_t(9));
  }

  void checkpointsSavedOnADeviceLoadOnTheCpu_data() { addDeviceRows(); }
  void checkpointsSavedOnADeviceLoadOnTheCpu() {
    QFETCH(QString, device);
    bool skip = false;
    const auto where = deviceOrSkip(device, &skip);
    SKIP_WITHOUT_DEVICE(skip);
    auto model = referenceModel();
    model->to(where);
    QTemporaryDir dir;
    const auto path = dir.filePath("m.pt").toStdString();
    saveCheckpoint(path, *model, referenceInfo(model));
    const auto loaded = loadCheckpoint(path);
    QCOMPARE(deviceOf(*loaded.model).type(), torch::kCPU);
    const auto ids = torch::tensor({{1, 2, 3}}, torch::kInt64);
    QVERIFY(torch::allclose(loaded.model->forward(ids), model->forward(ids.to(where)).cpu(), 1e-5, 1e-5));
  }
};

QTEST_GUILESS_MAIN(TestComputeDevice)
#include "tst_compute_device.moc"
