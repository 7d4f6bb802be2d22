// `distill run --nproc N`: a whole data-parallel run trains like one process with the whole
// batch, records its world size, and survives the loss of a rank by resuming.
#include <torch/torch.h>

#include <QDir>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>
#include <csignal>

#include "cli_runner.h"
#include "distill/distributed.h"
#include "io/checkpoint.h"

using namespace cli_runner;

namespace {

const QByteArray kSmall = R"(
name: small
data: {block_size: 16}
teacher: {layers: 1, heads: 2, embd: 32}
students: [{name: t, layers: 1, heads: 2, embd: 16}]
train: {steps: 8, student_steps: 8, batch_size: 4, warmup_steps: 2, eval_interval: 4, eval_batches: 2, checkpoint_interval: 4}
generate: {prompts: ["ROMEO:"], max_new_tokens: 4}
)";

QJsonObject jsonFile(const QString& path) {
  QFile f(path);
  f.open(QIODevice::ReadOnly);
  return QJsonDocument::fromJson(f.readAll()).object();
}

double largestDifference(const QString& a, const QString& b) {
  const auto ma = distill::loadCheckpoint(a.toStdString()).model->parameters();
  const auto mb = distill::loadCheckpoint(b.toStdString()).model->parameters();
  double largest = 0.0;
  for (size_t i = 0; i < ma.size(); ++i)
    largest = std::max(largest, (ma[i] - mb[i]).abs().max().item<double>());
  return largest;
}

/// The process ids of `pid`'s children (Linux).
QList<qint64> childrenOf(qint64 pid) {
  QFile f(QString("/proc/%1/task/%1/children").arg(pid));
  if (!f.open(QIODevice::ReadOnly)) return {};
  QList<qint64> out;
  for (const auto& word : QString::fromUtf8(f.readAll()).split(' ', Qt::SkipEmptyParts))
    out << word.toLongLong();
  return out;
}

/// Gone, or a zombie nobody reaped yet (a container's init may not reap).
bool hasEnded(qint64 pid) {
  QFile f(QString("/proc/%1/stat").arg(pid));
  if (!f.open(QIODevice::ReadOnly)) return true;
  const QString stat = QString::fromUtf8(f.readAll());
  return stat.mid(stat.lastIndexOf(')') + 2, 1) == "Z";
}

/// Waits until `runDir` has a finished resumable checkpoint at `phase` step >= `step`.
bool waitForPoint(QProcess& process, const QString& runDir, const QString& prefix, int step) {
  for (int i = 0; i < 12000 && process.state() == QProcess::Running; ++i) {
    QTest::qSleep(5);
    for (const auto& name : QDir(runDir + "/resume").entryList(QDir::Dirs | QDir::NoDotAndDotDot))
      if (name.startsWith(prefix) && !name.endsWith(".tmp") && name.mid(prefix.size()).toInt() >= step)
        return true;
  }
  return false;
}

}  // namespace

class TestDistributedCli : public QObject {
  Q_OBJECT
private slots:
  void initTestCase() {
    if (!distill::distributedSupported()) QSKIP("this build has no c10d (install libgloo-dev)");
  }

  void twoProcessesTrainLikeOneWithTheirBatchesTogether() {
    QTemporaryDir dir;
    const QString file = writeFile(dir, "small.yaml", kSmall);
    const auto two = runCli({"run", file, "--nproc", "2", "--out", dir.filePath("two")});
    QVERIFY2(two.exitCode == 0, qPrintable(two.err));
    QVERIFY2(two.out.contains("data-parallel run: 2 processes"), qPrintable(two.out));
    const auto one = runCli({"run", file, "--set", "train.batch_size=8", "--out", dir.filePath("one")});
    QVERIFY2(one.exitCode == 0, qPrintable(one.err));
    for (const QString model : {"teacher", "t-kd", "t-scratch"}) {
      const double apart = largestDifference(dir.filePath("two/checkpoints/" + model + ".pt"),
                                             dir.filePath("one/checkpoints/" + model + ".pt"));
      QVERIFY2(apart < 1e-5,
               qPrintable(QString("%1: 2 x 4 rows vs 1 x 8 rows differ by %2").arg(model).arg(apart)));
    }
    QCOMPARE(jsonFile(dir.filePath("two/summary.json"))["world_size"].toInt(), 2);
    QCOMPARE(jsonFile(dir.filePath("two/distributed.json"))["world_size"].toInt(), 2);
    QCOMPARE(jsonFile(dir.filePath("one/summary.json"))["world_size"].toInt(), 1);
    // Rank 0 alone writes: every metric point once.
    QFile metrics(dir.filePath("two/metrics.jsonl"));
    metrics.open(QIODevice::ReadOnly);
    int teacherLosses = 0;
    for (const auto& line : metrics.readAll().split('\n'))
      if (line.contains("\"model\":\"teacher\"") && line.contains("\"train/loss\"")) ++teacherLosses;
    QCOMPARE(teacherLosses, 8);
  }

  void studentsThatDrawTheirOwnDataAreRefusedByName() {
    QTemporaryDir dir;
    const QString file = writeFile(dir, "small.yaml", kSmall);
    const auto r = runCli(
        {"run", file, "--nproc", "2", "--set", "distill.regime=on_policy", "--out", dir.filePath("r")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("distill.regime: data-parallel runs train word-level students only"),
             qPrintable(r.err));
  }

  void aKilledWorkerFailsTheRunWithinTheTimeoutAndTheRunResumesToTheSameNumbers() {
    QTemporaryDir dir;
    const QString file = writeFile(dir, "small.yaml", kSmall);
    const QStringList longer = {"--set", "train.steps=150", "--set", "train.eval_interval=50"};
    const auto whole =
        runCli(QStringList{"run", file, "--nproc", "2", "--out", dir.filePath("whole")} + longer);
    QVERIFY2(whole.exitCode == 0, qPrintable(whole.err));

    const QString runDir = dir.filePath("run");
    QProcess rank0;
    rank0.start(DISTILL_CLI_PATH,
                QStringList{"run", file, "--nproc", "2", "--dist-timeout", "5", "--out", runDir} + longer);
    QVERIFY(rank0.waitForStarted());
    QVERIFY2(waitForPoint(rank0, runDir, "0001-1-teacher-", 8), "no checkpoint appeared");
    const auto workers = childrenOf(rank0.processId());
    QCOMPARE(workers.size(), 1);
    ::kill(static_cast<pid_t>(workers.front()), SIGKILL);
    QElapsedTimer clock;
    clock.start();
    QVERIFY(rank0.waitForFinished(60000));
    QVERIFY2(clock.elapsed() < 15000,
             qPrintable(QString("rank 0 took %1 ms to notice").arg(clock.elapsed())));
    const QString err = QString::fromUtf8(rank0.readAllStandardError());
    QCOMPARE(rank0.exitCode(), 1);
    QVERIFY2(err.contains("another rank died, hangs or lost its connection"), qPrintable(err));
    QVERIFY2(err.contains(QString("rank 1 (pid %1) was killed by signal 9").arg(workers.front())),
             qPrintable(err));
    QVERIFY2(err.contains("distill run --resume " + runDir + " --nproc 2"), qPrintable(err));
    QCOMPARE(jsonFile(runDir + "/summary.json")["status"].toString(), QString("failed"));

    const auto resumed = runCli({"run", "--resume", runDir, "--nproc", "2", "--dist-timeout", "5"});
    QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
    QVERIFY2(resumed.out.contains("resuming " + runDir + " from teacher step"), qPrintable(resumed.out));
    QVERIFY2(resumed.out.contains("data-parallel run: 2 processes"), qPrintable(resumed.out));
    const auto a = jsonFile(runDir + "/summary.json")["models"].toObject();
    const auto b = jsonFile(dir.filePath("whole/summary.json"))["models"].toObject();
    QCOMPARE(a.keys(), b.keys());
    for (const auto& model : a.keys())
      QCOMPARE(a[model].toObject()["val_loss"].toDouble(), b[model].toObject()["val_loss"].toDouble());
  }

  void aLauncherSetsTheRanksAndTheWorkerFollowsRankZerosSettings() {
    // What torchrun or a Slurm script does: two processes, RANK / WORLD_SIZE / MASTER_* set.
    QTemporaryDir dir;
    const QString file = writeFile(dir, "small.yaml", kSmall);
    const int port = 20000 + static_cast<int>(QCoreApplication::applicationPid() % 30000);
    auto launch = [&](QProcess& p, int rank, const QStringList& extra) {
      auto env = QProcessEnvironment::systemEnvironment();
      env.insert("RANK", QString::number(rank));
      env.insert("WORLD_SIZE", "2");
      env.insert("MASTER_ADDR", "127.0.0.1");
      env.insert("MASTER_PORT", QString::number(port));
      env.insert("DISTILL_DIST_TIMEOUT", "20");
      p.setProcessEnvironment(env);
      p.start(DISTILL_CLI_PATH, QStringList{"run", file} + extra);
    };
    QProcess rank0, rank1;
    launch(rank0, 0, {"--out", dir.filePath("run")});
    launch(rank1, 1, {"--set", "train.steps=3"});  // ignored: rank 0's settings rule
    QVERIFY(rank0.waitForFinished(120000));
    QVERIFY(rank1.waitForFinished(30000));
    QVERIFY2(rank0.exitCode() == 0, rank0.readAllStandardError().constData());
    QVERIFY2(rank1.exitCode() == 0, rank1.readAllStandardError().constData());
    QVERIFY(rank1.readAllStandardOutput().isEmpty());  // rank 0 alone reports
    QCOMPARE(jsonFile(dir.filePath("run/summary.json"))["world_size"].toInt(), 2);
    QCOMPARE(jsonFile(dir.filePath("run/summary.json"))["models"]
                 .toObject()["teacher"]
                 .toObject()["steps"]
                 .toInt(),
             8);
  }

  void aKilledRankZeroEndsItsWorkersWithinTheTimeout() {
    QTemporaryDir dir;
    const QString file = writeFile(dir, "small.yaml", kSmall);
    const QString runDir = dir.filePath("run");
    QProcess rank0;
    rank0.start(DISTILL_CLI_PATH, {"run", file, "--nproc", "2", "--dist-timeout", "5", "--out", runDir,
                                   "--set", "train.steps=2000"});
    QVERIFY(rank0.waitForStarted());
    QVERIFY2(waitForPoint(rank0, runDir, "0001-1-teacher-", 4), "no checkpoint appeared");
    const auto workers = childrenOf(rank0.processId());
    QCOMPARE(workers.size(), 1);
    rank0.kill();
    rank0.waitForFinished();
    QElapsedTimer clock;
    clock.start();
    while (!hasEnded(workers.front()) && clock.elapsed() < 30000) QTest::qSleep(20);
    QVERIFY2(hasEnded(workers.front()), "the worker outlived rank 0 by 30 s with a 5 s timeout");
    QVERIFY2(clock.elapsed() < 15000, qPrintable(QString("the worker took %1 ms").arg(clock.elapsed())));
  }
};

QTEST_GUILESS_MAIN(TestDistributedCli)
#include "tst_distributed_cli.moc"
