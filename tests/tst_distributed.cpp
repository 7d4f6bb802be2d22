// Data-parallel training over c10d (Gloo on loopback): two ranks, each with half of a batch, must
// train exactly like one process with the whole batch; a missing or departed rank must fail the
// others within the timeout. Ranks are threads of this process, each with its own group seat.
#include <torch/torch.h>

#include <QtTest>
#include <chrono>
#include <cstdlib>
#include <future>
#include <thread>

#include "distill/distributed.h"
#include "distill/experiment.h"
#include "model_specs.h"
#include "models/model_factory.h"
#include "parallel/collective.h"
#include "train/evaluation.h"
#include "train/trainer.h"

using namespace distill;

namespace {

DistributedOptions seat(int rank, int port, double timeoutSeconds = 20.0) {
  DistributedOptions options;
  options.rank = rank;
  options.worldSize = 2;
  options.masterAddr = "127.0.0.1";
  options.masterPort = port;
  options.timeoutSeconds = timeoutSeconds;
  return options;
}

/// Runs job(rank, group) for ranks 0 and 1 on two threads; rank 0 picks a free port.
void withTwoRanks(const std::function<void(int, Collective&)>& job, double timeoutSeconds = 20.0) {
  std::promise<int> port;
  auto portKnown = port.get_future();
  auto rank0 = std::async(std::launch::async, [&] {
    auto group = joinGroup(seat(0, 0, timeoutSeconds), [&](int p) { port.set_value(p); });
    job(0, *group);
  });
  auto rank1 = std::async(std::launch::async, [&] {
    auto group = joinGroup(seat(1, portKnown.get(), timeoutSeconds));
    job(1, *group);
  });
  rank0.get();
  rank1.get();
}

double largestDifference(const LanguageModel& a, const LanguageModel& b) {
  const auto pa = a->parameters(), pb = b->parameters();
  double largest = 0.0;
  for (size_t i = 0; i < pa.size(); ++i)
    largest = std::max(largest, (pa[i] - pb[i]).abs().max().item<double>());
  return largest;
}

Batch rowsOf(const Batch& batch, int64_t begin, int64_t end) {
  return {batch.x.slice(0, begin, end), batch.y.slice(0, begin, end)};
}

}  // namespace

class TestDistributed : public QObject {
  Q_OBJECT
private slots:
  void twoRanksWithHalfTheBatchEndLikeOneRankWithAllOfIt_data() {
    QTest::addColumn<QString>("arch");
    QTest::addColumn<bool>("distilled");
    QTest::newRow("transformer, cross-entropy") << "transformer" << false;
    QTest::newRow("gru, KD against teacher logits") << "gru" << true;
    QTest::newRow("lstm, KD against teacher logits") << "lstm" << true;
  }
  void twoRanksWithHalfTheBatchEndLikeOneRankWithAllOfIt() {
    if (!distributedSupported()) QSKIP("this build has no c10d (install libgloo-dev)");
    QFETCH(QString, arch);
    QFETCH(bool, distilled);
    const int64_t vocab = 11, T = 8, B = 4, steps = 6;
    TrainConfig train;
    train.lr = 3e-3;
    train.warmup_steps = 2;
    DistillConfig kd;
    kd.temperature = 2.0;
    kd.alpha = 0.5;
    torch::manual_seed(7);
    std::vector<Batch> batches;
    std::vector<torch::Tensor> teacherLogits;
    for (int s = 0; s < steps; ++s) {
      batches.push_back({torch::randint(0, vocab, {2 * B, T}, torch::kInt64),
                         torch::randint(0, vocab, {2 * B, T}, torch::kInt64)});
      teacherLogits.push_back(torch::randn({2 * B, T, vocab}));
    }
    auto fresh = [&] {
      torch::manual_seed(3);
      return makeModel(smallSpec(arch), vocab, T);
    };
    auto stepOn = [&](ModelTrainer& trainer, const Batch& batch, const torch::Tensor& logits) {
      SoftTargets targets;
      targets.teacherLogits = logits;
      return distilled ? trainer.computeGradients(batch, &targets, &kd) : trainer.computeGradients(batch);
    };

    auto whole = fresh();
    ModelTrainer single("whole", whole, train, steps);
    for (int s = 0; s < steps; ++s) single.applyGradients(stepOn(single, batches[s], teacherLogits[s]));

    std::vector<LanguageModel> ranks = {fresh(), fresh()};
    withTwoRanks([&](int rank, Collective& group) {
      ModelTrainer trainer("rank" + std::to_string(rank), ranks[rank], train, steps);
      for (int s = 0; s < steps; ++s) {
        const int64_t begin = rank * B;
        auto pending = stepOn(trainer, rowsOf(batches[s], begin, begin + B),
                              teacherLogits[s].slice(0, begin, begin + B));
        averageAcrossRanks(group, {&trainer}, {&pending});
        trainer.applyGradients(pending);
      }
    });
    const double apart = largestDifference(ranks[0], ranks[1]);
    const double fromWhole = largestDifference(ranks[0], whole);
    QVERIFY2(apart == 0.0, qPrintable(QString("the ranks drifted apart by %1").arg(apart)));
    QVERIFY2(
        fromWhole < 1e-5,
        qPrintable(
            QString("2 ranks x %1 rows differ from 1 x %2 rows by %3").arg(B).arg(2 * B).arg(fromWhole)));
    QVERIFY(largestDifference(whole, fresh()) > 1e-3);  // it did train
  }

  void reportedLossIsTheMeanOverTheWholeBatch() {
    if (!distributedSupported()) QSKIP("this build has no c10d (install libgloo-dev)");
    torch::manual_seed(5);
    const int64_t vocab = 9, T = 6, B = 3;
    Batch batch{torch::randint(0, vocab, {2 * B, T}, torch::kInt64),
                torch::randint(0, vocab, {2 * B, T}, torch::kInt64)};
    auto fresh = [&] {
      torch::manual_seed(1);
      return makeModel(smallSpec("transformer"), vocab, T);
    };
    TrainConfig train;
    ModelTrainer single("whole", fresh(), train, 1);
    const double wholeLoss = single.computeGradients(batch).loss;
    std::vector<double> losses(2);
    std::vector<LanguageModel> ranks = {fresh(), fresh()};  // seeded here: the generator is global
    withTwoRanks([&](int rank, Collective& group) {
      ModelTrainer trainer("rank", ranks[rank], train, 1);
      auto pending = trainer.computeGradients(rowsOf(batch, rank * B, rank * B + B));
      averageAcrossRanks(group, {&trainer}, {&pending});
      losses[rank] = pending.loss;
    });
    QCOMPARE(losses[0], losses[1]);
    QVERIFY2(std::abs(losses[0] - wholeLoss) < 1e-5,
             qPrintable(QString("%1 vs %2").arg(losses[0]).arg(wholeLoss)));
  }

  void evaluationSplitOverRanksEqualsOneProcess() {
    if (!distributedSupported()) QSKIP("this build has no c10d (install libgloo-dev)");
    torch::manual_seed(2);
    const int64_t vocab = 9, T = 6;
    std::vector<Batch> batches;
    for (int i = 0; i < 5; ++i)  // odd: the ranks get 3 and 2 batches
      batches.push_back(
          {torch::randint(0, vocab, {2, T}, torch::kInt64), torch::randint(0, vocab, {2, T}, torch::kInt64)});
    auto teacher = makeModel(smallSpec("transformer"), vocab, T);
    auto student = makeModel(smallSpec("gru"), vocab, T);
    const auto allLogits = teacherLogitsFor(*teacher, batches);
    const EvalResult whole = evaluate(*student, batches, &allLogits);
    std::vector<EvalResult> split(2);
    withTwoRanks([&](int rank, Collective& group) {
      const auto mine = teacherLogitsFor(*teacher, batches, &group);
      split[rank] = evaluate(*student, batches, &mine, &group);
    });
    for (const auto& r : split) {
      QVERIFY(std::abs(r.loss - whole.loss) < 1e-9);
      QVERIFY(std::abs(r.agreement - whole.agreement) < 1e-9);
      QVERIFY(std::abs(r.klFromTeacher - whole.klFromTeacher) < 1e-9);
    }
  }

  void aRankThatNeverArrivesFailsTheOtherWithinTheTimeout() {
    if (!distributedSupported()) QSKIP("this build has no c10d (install libgloo-dev)");
    const auto start = std::chrono::steady_clock::now();
    try {
      joinGroup(seat(0, 0, 2.0));
      QFAIL("joined a group whose other rank never came");
    } catch (const RankLostError& e) {
      QVERIFY2(QString(e.what()).contains("rank 0 of 2: could not meet the other ranks"), e.what());
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    QVERIFY2(seconds < 15.0, qPrintable(QString("took %1 s with a 2 s timeout").arg(seconds)));
  }

  void aRankThatLeavesFailsTheOthersNextCollective() {
    if (!distributedSupported()) QSKIP("this build has no c10d (install libgloo-dev)");
    std::promise<int> port;
    auto portKnown = port.get_future();
    std::promise<void> rank1Joined;
    auto leaver = std::async(std::launch::async, [&] {
      auto group = joinGroup(seat(1, portKnown.get(), 3.0));
      auto t = torch::ones({4});
      group->sumInPlace(t);  // one collective together, then it is gone (as if killed)
    });
    auto group = joinGroup(seat(0, 0, 3.0), [&](int p) { port.set_value(p); });
    auto t = torch::ones({4});
    group->sumInPlace(t);
    QCOMPARE(t[0].item<float>(), 2.0f);
    leaver.get();
    const auto start = std::chrono::steady_clock::now();
    try {
      group->sumInPlace(t);
      QFAIL("an all-reduce without the other rank succeeded");
    } catch (const RankLostError& e) {
      QVERIFY2(QString(e.what()).contains("another rank died, hangs or lost its connection"), e.what());
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    QVERIFY2(seconds < 10.0, qPrintable(QString("took %1 s with a 3 s timeout").arg(seconds)));
  }

  void aWorkerThatCannotStartIsNamed() {
    if (!distributedSupported()) QSKIP("this build has no c10d (install libgloo-dev)");
    auto loaded = parseExperiment("name: x\nstudents: [{name: s, embd: 8}]\ntrain: {processes: 2}\n", ".");
    QVERIFY(loaded.ok());
    QTemporaryDir runs;
    RunOptions options;
    options.runsRoot = runs.path().toStdString();
    options.distributed.workerExecutable = "/nonexistent/distill";
    options.distributed.timeoutSeconds = 5;
    RunObserver quiet;
    RunControl control;
    const auto result = runExperiment(loaded.config, options, quiet, control);
    QVERIFY(result.status == RunResult::Status::Failed);
    QVERIFY2(QString::fromStdString(result.error)
                 .startsWith("cannot start local workers: /nonexistent/distill is not an executable"),
             result.error.c_str());
  }

  void torchrunEnvironmentIsReadAndCheckedByName() {
    auto clear = [] {
      for (const char* name : {"RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "LOCAL_WORLD_SIZE",
                               "DISTILL_DIST_TIMEOUT", "TORCHELASTIC_USE_AGENT_STORE"})
        ::unsetenv(name);
    };
    clear();
    QVERIFY(!distributedFromEnvironment());
    ::setenv("RANK", "1", 1);
    ::setenv("WORLD_SIZE", "4", 1);
    ::setenv("MASTER_ADDR", "node7", 1);
    ::setenv("MASTER_PORT", "29400", 1);
    ::setenv("LOCAL_WORLD_SIZE", "2", 1);
    ::setenv("DISTILL_DIST_TIMEOUT", "15", 1);
    ::setenv("TORCHELASTIC_USE_AGENT_STORE", "True", 1);
    const auto options = distributedFromEnvironment();
    QVERIFY(options);
    QCOMPARE(options->rank, 1);
    QCOMPARE(options->worldSize, 4);
    QCOMPARE(QString::fromStdString(options->masterAddr), QString("node7"));
    QCOMPARE(options->masterPort, 29400);
    QCOMPARE(options->localProcesses, 2);
    QCOMPARE(options->timeoutSeconds, 15.0);
    QVERIFY(options->agentStore);

    auto failsNaming = [](const char* name) {
      try {
        distributedFromEnvironment();
      } catch (const EngineError& e) {
        return QString(e.what()).contains(name);
      }
      return false;
    };
    ::setenv("RANK", "4", 1);  // not below WORLD_SIZE
    QVERIFY(failsNaming("RANK='4'"));
    ::setenv("RANK", "1", 1);
    ::setenv("MASTER_PORT", "http", 1);
    QVERIFY(failsNaming("MASTER_PORT='http'"));
    ::unsetenv("MASTER_PORT");
    QVERIFY(failsNaming("MASTER_PORT is not set"));
    ::unsetenv("WORLD_SIZE");
    QVERIFY(failsNaming("WORLD_SIZE is not set"));
    clear();
  }
};

QTEST_GUILESS_MAIN(TestDistributed)
#include "tst_distributed.moc"
