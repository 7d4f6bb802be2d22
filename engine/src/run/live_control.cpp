// Between steps: pause, stop and live setting changes from the user (the GUI's controls, Ctrl-C),
// decided by rank 0 and followed by every rank of a data-parallel group.

#include <algorithm>

#include "run/experiment_run.h"
#include "run/step_decision.h"

namespace distill {

bool ExperimentRun::proceed(int step) {
  if (!m_group) {
    if (!waitWhilePaused()) return false;
    applyLiveSettings(step, m_control.takeSettings());
    return true;
  }
  // While paused rank 0 repeats "paused" well within the timeout, so that the others keep waiting.
  const auto heartbeat = std::chrono::milliseconds(static_cast<int64_t>(
      std::max(0.05, std::min(5.0, m_options.distributed.timeoutSeconds / 4.0)) * 1000.0));
  for (;;) {
    // Time spent paused stays out of elapsed(): whole "paused" rounds, and the lead's wait in the
    // round that resumes.
    const auto roundStart = Clock::now();
    double waited = 0.0;
    StepDecision decision;
    if (lead()) {
      const auto going = m_control.checkpointFor(heartbeat);
      waited = std::chrono::duration<double>(Clock::now() - roundStart).count();
      decision.state = !going ? StepDecision::State::Paused
                              : (*going ? StepDecision::State::Go : StepDecision::State::Stop);
      if (decision.state == StepDecision::State::Go) decision.changes = m_control.takeSettings();
    }
    auto message = decision.pack();
    m_group->broadcastInPlace(message, 0);
    decision = StepDecision::unpack(message);
    if (decision.state == StepDecision::State::Paused) {
      m_pausedSeconds += std::chrono::duration<double>(Clock::now() - roundStart).count();
      continue;
    }
    m_pausedSeconds += waited;
    if (decision.state == StepDecision::State::Stop) return false;
    applyLiveSettings(step, decision.changes);
    return true;
  }
}

std::vector<DistillConfig*> ExperimentRun::allDistillSettings() {
  std::vector<DistillConfig*> all = {&m_config.distill};
  for (auto& s : m_config.students)
    if (s.distill) all.push_back(&*s.distill);  // what a resumed run reads back
  for (auto& m : m_students) all.push_back(&m.distill);
  return all;
}

void ExperimentRun::applyLiveSettings(int step, const LiveSettings& changes) {
  if (changes.empty()) return;
  std::vector<MetricPoint> points;
  auto record = [&](const std::string& key, double value) {
    points.push_back({"settings", step, elapsed(), "setting/" + key, value});
    m_observer.onMessage("step " + std::to_string(step) + ": " + key + " set to " + std::to_string(value));
  };
  if (changes.lr) {
    m_config.train.min_lr = m_config.train.min_lr * *changes.lr / m_config.train.lr;
    m_config.train.lr = *changes.lr;
    for (auto& teacher : m_teachers)
      if (teacher.trainer) teacher.trainer->setPeakLearningRate(*changes.lr);
    for (auto& m : m_students) m.trainer->setPeakLearningRate(*changes.lr);
    record("lr", *changes.lr);
  }
  if (changes.temperature) {
    for (auto* d : allDistillSettings()) {
      d->temperature = *changes.temperature;
      d->temperature_schedule = Schedule::Constant;
    }
    record("temperature", *changes.temperature);
  }
  if (changes.alpha) {
    for (auto* d : allDistillSettings()) {
      d->alpha = *changes.alpha;
      d->alpha_schedule = Schedule::Constant;
    }
    record("alpha", *changes.alpha);
  }
  if (changes.evalInterval) {
    m_config.train.eval_interval = std::max(1, *changes.evalInterval);
    record("eval_interval", m_config.train.eval_interval);
  }
  publish(points);
}

}  // namespace distill
