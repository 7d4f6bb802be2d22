#pragma once

// The sweep's two pictures, drawn with QCustomPlot: parallel coordinates (one polyline per trial
// across the swept parameters and the objective, coloured by the objective) and, for each swept
// parameter, the objective against its value.

#include <qcustomplot.h>

#include <set>
#include <vector>

#include "distill/sweep.h"

namespace distill {

class ParallelCoordinatesPlot : public QCustomPlot {
  Q_OBJECT
public:
  explicit ParallelCoordinatesPlot(QWidget* parent = nullptr);
  /// Redraws every trial with an objective; `highlighted` trials are drawn bold.
  void showTrials(const SweepDefinition& definition, const std::vector<SweepTrial>& trials, int bestTrial,
                  const std::set<int>& highlighted = {});
  /// Polylines drawn (trials with a finite objective).
  int lineCount() const { return m_lines; }

private:
  QCPColorScale* m_scale;
  int m_lines = 0;
};

class ObjectiveScatterPlot : public QCustomPlot {
  Q_OBJECT
public:
  explicit ObjectiveScatterPlot(QWidget* parent = nullptr);
  /// One panel per swept parameter: the objective of each trial against its value.
  void showTrials(const SweepDefinition& definition, const std::vector<SweepTrial>& trials, int bestTrial,
                  const std::set<int>& highlighted = {});
  int panelCount() const { return m_panels; }

private:
  int m_panels = 0;
};

/// One parameter's axis over the trials: a list's values evenly spaced (with any other value a
/// trial had, e.g. the baseline's, among them, numbers in order), a range from low to high (log
/// scale for log ranges; widened to a trial's value outside it).
class ParameterAxis {
public:
  ParameterAxis(const SweepParameter& p, const std::vector<SweepTrial>& trials, size_t index);
  /// Where `value` sits on [0, 1]; NaN when it does not read as this axis's kind.
  double position(const std::string& value) const;
  /// Tick labels at their positions.
  QMap<double, QString> labels() const;

private:
  bool m_list;
  bool m_log;
  std::vector<std::string> m_values;  // a list axis's values in axis order
  double m_low = 0.0, m_high = 1.0;
};

}  // namespace distill
