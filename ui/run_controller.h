#pragma once

#include <QObject>
#include <QString>
#include <QTimer>
#include <functional>
#include <memory>

#include "background_task.h"

#include "distill/config.h"
#include "distill/experiment.h"
#include "distill/run_control.h"
#include "metrics_mailbox.h"

namespace distill {

/// Runs one experiment at a time on a worker thread and brings its events to the GUI thread:
/// metrics and progress through a mailbox drained by a ~30 Hz timer (one signal per batch),
/// samples, messages, faults and the end as queued calls. The GUI thread never waits on training
/// except in shutdown(), where closing the window must join the worker.
class RunController : public QObject {
  Q_OBJECT
public:
  explicit RunController(QObject* parent = nullptr);
  ~RunController() override;

  /// Starts a run; refuses (returns false with a reason) while another one is going.
  /// `experimentFile`: the file the settings are (run.json hashes it); empty when they were edited
  /// since it was saved.
  bool start(const ExperimentConfig& config, const QString& runsRoot, QString* whyNot = nullptr,
             const QString& experimentFile = QString());
  /// Continues a stopped or crashed run from its last checkpoint (resumeExperiment); refuses
  /// like start() while another run is going.
  bool resumeRun(const QString& runDir, QString* whyNot = nullptr);
  void pause();
  void resume();
  /// Asks the run to stop after the current step; it writes its checkpoints, then finished().
  void stop();
  void changeSettings(const LiveSettings& settings);
  /// Stops and joins the worker (window closing). Blocks the caller until the run has saved.
  void shutdown();

  bool isRunning() const { return m_worker.busy(); }
  bool isPaused() const { return m_control && m_control->isPaused(); }
  QString runDirectory() const { return m_runDir; }
  /// How often the GUI drains the mailbox.
  static constexpr int kDrainIntervalMs = 33;

signals:
  void started(const QString& runDir);
  void metricsBatch(const std::vector<distill::MetricPoint>& points);
  void progress(const distill::ProgressInfo& progress);
  void phaseChanged(const QString& phase, int totalSteps);
  void sample(const distill::SampleRecord& sample);
  void message(const QString& text);
  void fault(const QString& text);
  void pausedChanged(bool paused);
  void finished(const distill::RunResult& result);

private:
  class Bridge;
  using Job = std::function<RunResult(const RunOptions&, RunObserver&, RunControl&)>;
  bool launch(const Job& job, const RunOptions& options, QString* whyNot);
  void drain();
  void onWorkerDone(quint64 job, const RunResult& result);

  std::unique_ptr<RunControl> m_control;
  std::unique_ptr<Bridge> m_bridge;
  MetricsMailbox m_mailbox;
  QTimer m_drainTimer;
  quint64 m_job = 0;
  QString m_runDir;
  BackgroundTask m_worker;  // last: destroyed (waited for) before what the run uses
};

}  // namespace distill

Q_DECLARE_METATYPE(distill::RunResult)
Q_DECLARE_METATYPE(distill::ProgressInfo)
Q_DECLARE_METATYPE(distill::SampleRecord)
