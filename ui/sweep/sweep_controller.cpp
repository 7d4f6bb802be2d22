#include "sweep/sweep_controller.h"

#include <QDir>

namespace distill {

/// The observer on the sweep's threads: everything goes through the mailbox.
class SweepController::Bridge : public SweepObserver {
public:
  explicit Bridge(Mailbox& box) : m_box(box) {}
  void onSweepDirectory(const std::string& dir) override {
    std::lock_guard<std::mutex> lock(m_box.mutex);
    m_box.dir = dir;
  }
  void onTrial(const SweepTrial& trial) override {
    std::lock_guard<std::mutex> lock(m_box.mutex);
    m_box.trials[trial.id] = trial;
  }
  void onTrialProgress(int id, const ProgressInfo& progress) override {
    std::lock_guard<std::mutex> lock(m_box.mutex);
    m_box.progress[id] = progress;
  }
  void onTrialMetrics(int id, const std::vector<MetricPoint>& points) override {
    std::lock_guard<std::mutex> lock(m_box.mutex);
    auto& list = m_box.metrics[id];
    list.insert(list.end(), points.begin(), points.end());
  }
  void onTeacherRun(const TeacherRun& run) override {
    say(run.done ? "teacher " + std::to_string(run.id) + " trained once for the sweep: " + run.checkpoint
                 : "training teacher " + std::to_string(run.id) + " once for every trial with its settings");
  }
  void onTeacherProgress(int id, const ProgressInfo& p) override {
    std::lock_guard<std::mutex> lock(m_box.mutex);
    m_box.progress[-1 - id] = p;  // negative ids: teacher runs
  }
  void onSweepProgress(int finished, int planned, double eta) override {
    std::lock_guard<std::mutex> lock(m_box.mutex);
    m_box.sweepProgress = true;
    m_box.finished = finished;
    m_box.planned = planned;
    m_box.eta = eta;
  }
  void onMessage(const std::string& message) override { say(message); }

private:
  void say(const std::string& text) {
    std::lock_guard<std::mutex> lock(m_box.mutex);
    m_box.messages.push_back(text);
  }
  Mailbox& m_box;
};

SweepController::SweepController(QObject* parent) : QObject(parent) {
  qRegisterMetaType<distill::SweepResult>();
  m_drainTimer.setInterval(33);
  connect(&m_drainTimer, &QTimer::timeout, this, &SweepController::drain);
}

SweepController::~SweepController() { shutdown(); }

bool SweepController::launch(const Job& job, QString* whyNot) {
  if (m_worker.busy()) {
    if (whyNot) *whyNot = tr("A sweep is already running.");
    return false;
  }
  m_control = std::make_unique<SweepControl>();
  m_bridge = std::make_unique<Bridge>(m_mailbox);
  m_dir.clear();
  SweepControl* control = m_control.get();
  Bridge* bridge = m_bridge.get();
  m_drainTimer.start();
  m_worker.start(
      this, [job, bridge, control] { return job(*bridge, *control); },
      [this](SweepResult result) {
        m_worker.wait();
        drain();
        m_drainTimer.stop();
        emit finished(result);
      });
  return true;
}

bool SweepController::start(const SweepFile& file, const QString& runsRoot, QString* whyNot) {
  if (!file.ok()) {
    if (whyNot) *whyNot = QString::fromStdString(file.problems.front().toString("sweep"));
    return false;
  }
  SweepOptions options;
  options.runsRoot = QDir(runsRoot).absolutePath().toStdString();
  // A trial whose loss turns NaN fails (its row says why) and the sweep goes on: a setting that
  // diverges is a result, not something to wait on.
  options.pauseOnNonFinite = false;
  return launch([file, options](SweepObserver& o, SweepControl& c) { return runSweep(file, options, o, c); },
                whyNot);
}

bool SweepController::resumeSweep(const QString& dir, QString* whyNot) {
  SweepOptions options;
  const std::string path = dir.toStdString();
  return launch([path, options](SweepObserver& o,
                                SweepControl& c) { return distill::resumeSweep(path, options, o, c); },
                whyNot);
}

void SweepController::stop() {
  if (m_control) m_control->stop();
}
void SweepController::pause() {
  if (m_control) m_control->pause();
}
void SweepController::resume() {
  if (m_control) m_control->resume();
}
void SweepController::stopTrial(int id) {
  if (m_control) m_control->stopTrial(id);
}
void SweepController::pauseTrial(int id) {
  if (m_control) m_control->pauseTrial(id);
}
void SweepController::resumeTrial(int id) {
  if (m_control) m_control->resumeTrial(id);
}

void SweepController::shutdown() {
  if (m_control) m_control->stop();
  m_worker.wait();
}

void SweepController::drain() {
  std::map<int, SweepTrial> trials;
  std::map<int, ProgressInfo> progress;
  std::map<int, std::vector<MetricPoint>> metrics;
  std::vector<std::string> messages;
  bool sweepProgress = false;
  int finished = 0, planned = 0;
  double eta = 0.0;
  std::string dir;
  {
    std::lock_guard<std::mutex> lock(m_mailbox.mutex);
    trials.swap(m_mailbox.trials);
    progress.swap(m_mailbox.progress);
    metrics.swap(m_mailbox.metrics);
    messages.swap(m_mailbox.messages);
    std::swap(sweepProgress, m_mailbox.sweepProgress);
    finished = m_mailbox.finished;
    planned = m_mailbox.planned;
    eta = m_mailbox.eta;
    dir = m_mailbox.dir;
  }
  if (!dir.empty() && m_dir.isEmpty()) {
    m_dir = QString::fromStdString(dir);
    emit started(m_dir);
  }
  if (!trials.empty()) {
    std::vector<SweepTrial> rows;
    for (auto& [id, t] : trials) rows.push_back(std::move(t));
    emit trialsChanged(rows);
  }
  for (const auto& [id, p] : progress)
    emit trialProgress(id, p.step, p.totalSteps, QString::fromUtf8(phaseName(p.phase)));
  for (const auto& [id, points] : metrics) emit trialMetrics(id, points);
  for (const auto& m : messages) emit message(QString::fromStdString(m));
  if (sweepProgress) emit this->sweepProgress(finished, planned, eta);
}

}  // namespace distill
