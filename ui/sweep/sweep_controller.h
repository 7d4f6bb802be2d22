#pragma once

#include <QObject>
#include <QString>
#include <QTimer>
#include <map>
#include <memory>
#include <mutex>

#include "background_task.h"
#include "distill/sweep.h"

namespace distill {

/// Runs one sweep at a time on a worker thread (runSweep / resumeSweep) and brings its events to the
/// GUI thread: everything goes to a mailbox that a ~30 Hz timer drains, so a trial's metrics arrive
/// as one batch per tick however fast the trials step.
class SweepController : public QObject {
  Q_OBJECT
public:
  explicit SweepController(QObject* parent = nullptr);
  ~SweepController() override;

  bool start(const SweepFile& file, const QString& runsRoot, QString* whyNot = nullptr);
  bool resumeSweep(const QString& dir, QString* whyNot = nullptr);
  void stop();
  void pause();
  void resume();
  void stopTrial(int id);
  void pauseTrial(int id);
  void resumeTrial(int id);
  /// Stops and joins the worker (window closing).
  void shutdown();

  bool isRunning() const { return m_worker.busy(); }
  bool isPaused() const { return m_control && m_control->isPaused(); }
  QString sweepDirectory() const { return m_dir; }

signals:
  void started(const QString& dir);
  /// Rows that changed since the last tick (created, started, finished).
  void trialsChanged(const std::vector<distill::SweepTrial>& trials);
  /// The newest progress of each trial that stepped since the last tick.
  void trialProgress(int trialId, int step, int totalSteps, const QString& phase);
  void trialMetrics(int trialId, const std::vector<distill::MetricPoint>& points);
  void sweepProgress(int finished, int planned, double etaSeconds);
  void message(const QString& text);
  void finished(const distill::SweepResult& result);

private:
  class Bridge;
  struct Mailbox {
    std::mutex mutex;
    std::map<int, SweepTrial> trials;
    std::map<int, ProgressInfo> progress;
    std::map<int, std::vector<MetricPoint>> metrics;
    bool sweepProgress = false;
    int finished = 0, planned = 0;
    double eta = 0.0;
    std::vector<std::string> messages;
    std::string dir;
  };
  using Job = std::function<SweepResult(SweepObserver&, SweepControl&)>;
  bool launch(const Job& job, QString* whyNot);
  void drain();

  std::unique_ptr<SweepControl> m_control;
  std::unique_ptr<Bridge> m_bridge;
  Mailbox m_mailbox;
  QTimer m_drainTimer;
  QString m_dir;
  BackgroundTask m_worker;  // last: waited for before what the sweep uses is destroyed
};

}  // namespace distill

Q_DECLARE_METATYPE(distill::SweepResult)
