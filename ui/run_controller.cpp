#include "run_controller.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QMetaObject>
#include <QPointer>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace distill {

namespace {

/// Training keeps every core busy; a slightly lower priority for the worker (and the threads it
/// starts, which inherit it) lets the window's thread in first. Measured with bench_gui_latency:
/// max stall 45.7–49.1 ms before, with both cores training the teacher side by side.
void yieldToTheWindow() {
#ifdef __linux__
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 5);  // Linux: per thread
#endif
}

/// The `distill` command line, which a multi-process run starts as its worker ranks: beside this
/// program when installed, else where this build put it.
QString workerExecutable() {
  const QString beside = QCoreApplication::applicationDirPath() + "/distill";
  if (QFileInfo(beside).isExecutable()) return beside;
  return QStringLiteral(DISTILL_BUILD_CLI_PATH);
}

}  // namespace

/// The observer living on the worker thread. High-rate events go to the mailbox; rare ones are
/// queued to the controller, tagged with the job id so a superseded run cannot leak into a new one.
class RunController::Bridge : public RunObserver {
public:
  Bridge(RunController* owner, quint64 job) : m_owner(owner), m_job(job) {}

  void onRunDirectory(const std::string& path) override {
    queue([path](RunController* c) {
      c->m_runDir = QString::fromStdString(path);
      emit c->started(c->m_runDir);
    });
  }
  void onPhase(RunPhase phase, int totalSteps) override {
    queue([phase, totalSteps](RunController* c) {
      emit c->phaseChanged(QString::fromUtf8(phaseName(phase)), totalSteps);
    });
  }
  void onMetrics(const std::vector<MetricPoint>& points) override { m_owner->m_mailbox.post(points); }
  void onProgress(const ProgressInfo& progress) override { m_owner->m_mailbox.postProgress(progress); }
  void onSample(const SampleRecord& sample) override {
    queue([sample](RunController* c) { emit c->sample(sample); });
  }
  void onFault(const std::string& text) override {
    queue([text](RunController* c) {
      emit c->fault(QString::fromStdString(text));
      emit c->pausedChanged(true);
    });
  }
  void onMessage(const std::string& text) override {
    queue([text](RunController* c) { emit c->message(QString::fromStdString(text)); });
  }

private:
  template <class F>
  void queue(F f) {
    const quint64 job = m_job;
    QPointer<RunController> owner(m_owner);
    QMetaObject::invokeMethod(
        m_owner,
        [owner, job, f] {
          if (owner && owner->m_job == job) f(owner.data());
        },
        Qt::QueuedConnection);
  }

  RunController* m_owner;
  quint64 m_job;
};

RunController::RunController(QObject* parent) : QObject(parent) {
  m_drainTimer.setInterval(kDrainIntervalMs);
  connect(&m_drainTimer, &QTimer::timeout, this, &RunController::drain);
}

RunController::~RunController() { shutdown(); }

bool RunController::start(const ExperimentConfig& config, const QString& runsRoot, QString* whyNot,
                          const QString& experimentFile) {
  RunOptions options;
  options.runsRoot = runsRoot.toStdString();
  options.experimentFile = experimentFile.toStdString();
  return launch([config](const RunOptions& o, RunObserver& observer,
                         RunControl& control) { return runExperiment(config, o, observer, control); },
                options, whyNot);
}

bool RunController::resumeRun(const QString& runDir, QString* whyNot) {
  const std::string dir = runDir.toStdString();
  return launch([dir](const RunOptions& o, RunObserver& observer,
                      RunControl& control) { return resumeExperiment(dir, o, observer, control); },
                RunOptions{}, whyNot);
}

bool RunController::launch(const Job& run, const RunOptions& runOptions, QString* whyNot) {
  if (m_worker.busy()) {
    if (whyNot) *whyNot = tr("A run is already going. Stop it before starting another.");
    return false;
  }
  ++m_job;
  m_runDir.clear();
  m_control = std::make_unique<RunControl>();
  m_bridge = std::make_unique<Bridge>(this, m_job);
  RunOptions options = runOptions;
  options.pauseOnNonFinite = true;
  options.distributed.workerExecutable = workerExecutable().toStdString();
  const quint64 job = m_job;
  RunControl* control = m_control.get();
  Bridge* bridge = m_bridge.get();
  QPointer<RunController> self(this);
  m_worker.start(
      this,
      [job, run, options, control, bridge] {
        yieldToTheWindow();
        // runExperiment and resumeExperiment never throw; they return failures in the result.
        return run(options, *bridge, *control);
      },
      [this, job](RunResult result) { onWorkerDone(job, result); });
  m_drainTimer.start();
  return true;
}

void RunController::pause() {
  if (!m_control) return;
  m_control->pause();
  emit pausedChanged(true);
}

void RunController::resume() {
  if (!m_control) return;
  m_control->resume();
  emit pausedChanged(false);
}

void RunController::stop() {
  if (m_control) m_control->cancel();
}

void RunController::changeSettings(const LiveSettings& settings) {
  if (m_control) m_control->changeSettings(settings);
}

void RunController::drain() {
  auto contents = m_mailbox.take();
  if (!contents.points.empty()) emit metricsBatch(contents.points);
  if (contents.progress) emit progress(*contents.progress);
}

void RunController::onWorkerDone(quint64 job, const RunResult& result) {
  if (job != m_job || !m_worker.busy()) return;
  m_worker.wait();
  m_drainTimer.stop();
  drain();  // whatever arrived between the last tick and the end
  m_bridge.reset();
  m_control.reset();
  emit finished(result);
}

void RunController::shutdown() {
  if (!m_worker.busy()) return;
  m_control->cancel();
  m_worker.wait();
  m_drainTimer.stop();
  // The queued onWorkerDone of this job will find no worker and do nothing.
  ++m_job;
  m_bridge.reset();
  m_control.reset();
}

}  // namespace distill
