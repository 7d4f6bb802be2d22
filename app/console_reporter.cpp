#include "console_reporter.h"

#include <cstdio>
#include <ostream>

#include "distill/duration.h"
#include "distill/metric_names.h"

namespace distill {

ConsoleReporter::ConsoleReporter(std::ostream& out, double secondsBetweenLines)
    : m_out(out), m_interval(secondsBetweenLines) {}

void ConsoleReporter::onRunDirectory(const std::string& path) {
  m_out << "run directory: " << path << std::endl;
}

void ConsoleReporter::onPhase(RunPhase phase, int totalSteps) {
  if (phase == RunPhase::Teacher && totalSteps == 0) return;
  m_out << "== " << phaseName(phase);
  if (totalSteps > 0) m_out << " (" << totalSteps << " steps)";
  m_out << std::endl;
  m_lastLine = {};
}

void ConsoleReporter::onMetrics(const std::vector<MetricPoint>& points) {
  for (const auto& p : points) {
    if (p.name != metric::kValLoss) continue;
    char line[160];
    std::snprintf(line, sizeof line, "  eval  %-20s step %5d  val/loss %.4f", p.model.c_str(), p.step,
                  p.value);
    m_out << line << std::endl;
  }
}

void ConsoleReporter::onProgress(const ProgressInfo& p) {
  const auto now = std::chrono::steady_clock::now();
  const bool last = p.step == p.totalSteps;
  if (!last && std::chrono::duration<double>(now - m_lastLine).count() < m_interval) return;
  m_lastLine = now;
  char head[128];
  char repeat[32] = "";
  if (p.repeats > 1) std::snprintf(repeat, sizeof repeat, " repeat %d/%d", p.repeat, p.repeats);
  std::snprintf(head, sizeof head, "[%s%s] step %d/%d (%.0f%%)", phaseName(p.phase), repeat, p.step,
                p.totalSteps, p.totalSteps > 0 ? 100.0 * p.step / p.totalSteps : 100.0);
  m_out << head;
  for (const auto& m : p.latest) {
    char item[96];
    std::snprintf(item, sizeof item, "  %s %.4f", m.model.c_str(), m.value);
    m_out << item;
  }
  char tail[96];
  std::snprintf(tail, sizeof tail, "  | %.0f tok/s  elapsed %s  ETA %s", p.tokensPerSecond,
                formatDuration(p.phaseSeconds).c_str(), formatDuration(p.etaSeconds).c_str());
  m_out << tail << std::endl;
}

void ConsoleReporter::onMessage(const std::string& message) { m_out << message << std::endl; }

}  // namespace distill
