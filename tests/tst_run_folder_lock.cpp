// One writer per run folder: a second writer is refused naming the first, a killed writer's lock
// never blocks, readers need no lock.
#include <torch/torch.h>

#include <unistd.h>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <csignal>

#include "distill/errors.h"
#include "distill/run_reader.h"
#include "store/run_folder_lock.h"
#include "store/run_store.h"

using namespace distill;

namespace {

QString refusal(const std::string& dir) {
  try {
    RunStore second(dir);
  } catch (const EngineError& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

}  // namespace

class TestRunFolderLock : public QObject {
  Q_OBJECT
private slots:
  void aSecondWriterIsRefusedNamingTheFirst() {
    QTemporaryDir dir;
    const std::string run = dir.filePath("run").toStdString();
    {
      RunStore first(run);
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      QElapsedTimer clock;
      clock.start();
      const QString message = refusal(run);
      QVERIFY2(clock.elapsed() < 1000, qPrintable(QString::number(clock.elapsed())));
      QVERIFY2(message.contains("is being written by pid " + QString::number(::getpid()) + " on " + host +
                                " since "),
               qPrintable(message));
    }
    QVERIFY2(refusal(run).isEmpty(), "the lock outlived its writer");
  }

  void aKilledWritersLockDoesNotBlock() {
    QTemporaryDir dir;
    const std::string run = dir.filePath("run").toStdString();
    { RunStore made(run); }
    // util-linux's flock(1) holds the same kind of lock from another process (-o: only flock
    // itself holds it, not the sleep it starts).
    QProcess holder;
    holder.start("flock", {"-o", QString::fromStdString(run) + "/run.lock", "sleep", "60"});
    QVERIFY(holder.waitForStarted());
    for (int i = 0; i < 200 && !RunFolderLock::isHeld(run); ++i) QTest::qSleep(10);
    QVERIFY(RunFolderLock::isHeld(run));
    QVERIFY2(refusal(run).contains("is being written by"), "a live writer must block");
    ::kill(static_cast<pid_t>(holder.processId()), SIGKILL);
    holder.waitForFinished();
    QVERIFY(!RunFolderLock::isHeld(run));
    QVERIFY2(refusal(run).isEmpty(), "the lock of a killed process blocked a new writer");
  }

  void readersNeedNoLockAndTellRunningFromCrashed() {
    QTemporaryDir dir;
    const std::string run = dir.filePath("run").toStdString();
    {
      RunStore writer(run);
      writer.writeConfig("name: x\n");
      QCOMPARE(QString::fromStdString(readRunSummary(run).status), QString("running"));
    }
    // A process that died leaves running.pid behind, and no lock: crashed, whatever PID it named.
    QFile pid(dir.filePath("run/running.pid"));
    QVERIFY(pid.open(QIODevice::WriteOnly));
    pid.write(QByteArray::number(::getpid()) + "\n");  // a live PID: the lock, not the PID, decides
    pid.close();
    QCOMPARE(QString::fromStdString(readRunSummary(run).status), QString("crashed"));
  }
};

QTEST_GUILESS_MAIN(TestRunFolderLock)
#include "tst_run_folder_lock.moc"
