#pragma once

// Runs the `distill` command line from a test and collects what it printed.
#include <sys/resource.h>
#include <unistd.h>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <csignal>

namespace cli_runner {

struct CliResult {
  int exitCode = -1;
  bool crashed = false;
  QString out;
  QString err;
};

/// How the child process is constrained before it starts.
enum class Limits { None, Unprivileged, SmallFiles };

/// Runs `distill` and waits. `Unprivileged`: as user nobody when the test runs as root (so file
/// permissions bind); `SmallFiles`: no file may grow beyond 32 KiB (a full disk, without root).
inline CliResult runCli(const QStringList& args, int timeoutMs = 120000, Limits limits = Limits::None) {
  QProcess process;
  process.setChildProcessModifier([limits] {
    if (limits == Limits::Unprivileged && ::geteuid() == 0) {
      if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(99);
    }
    if (limits == Limits::SmallFiles) {
      ::signal(SIGXFSZ, SIG_IGN);  // the write fails with EFBIG instead of killing the process
      const rlimit small{32 * 1024, 32 * 1024};
      ::setrlimit(RLIMIT_FSIZE, &small);
    }
  });
  process.start(DISTILL_CLI_PATH, args);
  CliResult r;
  if (!process.waitForFinished(timeoutMs)) {
    process.kill();
    process.waitForFinished();
    r.crashed = true;
    r.err = "timed out (hang)";
    return r;
  }
  r.crashed = process.exitStatus() != QProcess::NormalExit;
  r.exitCode = process.exitCode();
  r.out = QString::fromUtf8(process.readAllStandardOutput());
  r.err = QString::fromUtf8(process.readAllStandardError());
  return r;
}

inline QString writeFile(QTemporaryDir& dir, const QString& name, const QByteArray& bytes) {
  const QString path = dir.filePath(name);
  QFile f(path);
  f.open(QIODevice::WriteOnly);
  f.write(bytes);
  return path;
}

}  // namespace cli_runner
