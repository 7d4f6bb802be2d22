#include "sweep/sweep_plots.h"

#include <cmath>

namespace distill {

namespace {

bool plotted(const SweepTrial& t) {
  return std::isfinite(t.objective) &&
         (t.status == SweepTrial::Status::Completed || t.status == SweepTrial::Status::Stopped);
}

/// The objective range of the plotted trials (a small span around a single value).
QCPRange objectiveRange(const std::vector<SweepTrial>& trials) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& t : trials)
    if (plotted(t)) lo = std::min(lo, t.objective), hi = std::max(hi, t.objective);
  if (!std::isfinite(lo)) return QCPRange(0, 1);
  if (hi - lo < 1e-9) lo -= 0.5e-3, hi += 0.5e-3;
  return QCPRange(lo, hi);
}

QString shortKey(const std::string& key) {
  const QString k = QString::fromStdString(key);
  return k.startsWith("students.") ? k : k.section('.', -1);
}

}  // namespace

ParameterAxis::ParameterAxis(const SweepParameter& p, const std::vector<SweepTrial>& trials, size_t index)
    : m_list(!p.isRange()), m_log(p.kind == RangeKind::LogUniform), m_low(p.low), m_high(p.high) {
  m_values = p.values;
  for (const auto& t : trials) {
    if (index >= t.values.size()) continue;
    const std::string& v = t.values[index];
    if (m_list && std::find(m_values.begin(), m_values.end(), v) == m_values.end()) m_values.push_back(v);
    bool ok = false;
    const double x = QString::fromStdString(v).toDouble(&ok);
    if (!m_list && ok && (!m_log || x > 0)) m_low = std::min(m_low, x), m_high = std::max(m_high, x);
  }
  if (m_list && std::all_of(m_values.begin(), m_values.end(), [](const std::string& v) {
        bool ok = false;
        QString::fromStdString(v).toDouble(&ok);
        return ok;
      }))
    std::sort(m_values.begin(), m_values.end(), [](const std::string& a, const std::string& b) {
      return QString::fromStdString(a).toDouble() < QString::fromStdString(b).toDouble();
    });
}

double ParameterAxis::position(const std::string& value) const {
  if (m_list) {
    const auto it = std::find(m_values.begin(), m_values.end(), value);
    if (it == m_values.end()) return NAN;
    const size_t n = m_values.size();
    return n == 1 ? 0.5 : static_cast<double>(it - m_values.begin()) / (n - 1);
  }
  bool ok = false;
  const double v = QString::fromStdString(value).toDouble(&ok);
  if (!ok || (m_log && v <= 0)) return NAN;
  if (m_log) return (std::log(v) - std::log(m_low)) / (std::log(m_high) - std::log(m_low));
  return (v - m_low) / (m_high - m_low);
}

QMap<double, QString> ParameterAxis::labels() const {
  QMap<double, QString> labels;
  if (m_list) {
    for (const auto& v : m_values) labels.insert(position(v), QString::fromStdString(v));
  } else {
    labels.insert(0.0, QString::number(m_low, 'g', 3));
    labels.insert(1.0, QString::number(m_high, 'g', 3));
  }
  return labels;
}

ParallelCoordinatesPlot::ParallelCoordinatesPlot(QWidget* parent) : QCustomPlot(parent) {
  setObjectName("parallelCoordinates");
  m_scale = new QCPColorScale(this);
  plotLayout()->addElement(0, 1, m_scale);
  m_scale->setGradient(QCPColorGradient(QCPColorGradient::gpJet));
  m_scale->axis()->setLabel(tr("objective"));
  yAxis->setVisible(false);
  yAxis->setRange(-0.08, 1.08);
  xAxis->grid()->setVisible(false);
  setMinimumHeight(220);
}

void ParallelCoordinatesPlot::showTrials(const SweepDefinition& d, const std::vector<SweepTrial>& trials,
                                         int best, const std::set<int>& highlighted) {
  clearPlottables();
  clearItems();
  m_lines = 0;
  const int axes = static_cast<int>(d.parameters.size()) + 1;
  const QCPRange range = objectiveRange(trials);
  m_scale->setDataRange(range);
  m_scale->axis()->setLabel(QString::fromStdString(d.objective.model + " " + d.objective.metric));
  QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
  for (int i = 0; i < axes; ++i)
    ticker->addTick(i, i + 1 < axes ? shortKey(d.parameters[i].key) : tr("objective"));
  xAxis->setTicker(ticker);
  xAxis->setRange(-0.3, axes - 0.7);
  std::vector<ParameterAxis> scales;
  for (size_t i = 0; i < d.parameters.size(); ++i) scales.emplace_back(d.parameters[i], trials, i);
  // The vertical axes with their end labels.
  for (int i = 0; i < axes; ++i) {
    auto* line = new QCPItemLine(this);
    line->start->setCoords(i, 0);
    line->end->setCoords(i, 1);
    line->setPen(QPen(QColor("#888"), 1));
    const QMap<double, QString> labels =
        i + 1 < axes ? scales[static_cast<size_t>(i)].labels()
                     : QMap<double, QString>{{0.0, QString::number(range.lower, 'f', 4)},
                                             {1.0, QString::number(range.upper, 'f', 4)}};
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      auto* text = new QCPItemText(this);
      text->position->setCoords(i, it.key());
      text->setText(it.value());
      text->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
      text->setPadding(QMargins(4, 0, 0, 0));
      text->setFont(QFont(font().family(), 8));
      text->setColor(QColor("#555"));
    }
  }
  QCPColorGradient gradient(QCPColorGradient::gpJet);  // color() is not const: it caches its table
  for (const auto& t : trials) {
    if (!plotted(t)) continue;
    QVector<double> x, y;
    bool complete = true;
    for (size_t i = 0; i < d.parameters.size(); ++i) {
      const double u = scales[i].position(i < t.values.size() ? t.values[i] : "");
      complete = complete && std::isfinite(u);
      x << i;
      y << u;
    }
    if (!complete) continue;
    x << axes - 1;
    y << (t.objective - range.lower) / range.size();
    auto* curve = new QCPCurve(xAxis, yAxis);
    curve->setData(x, y);
    QColor colour = QColor::fromRgb(gradient.color(t.objective, range));
    const bool bold = t.id == best || highlighted.count(t.id);
    QPen pen(colour, bold ? 3.0 : 1.4);
    if (t.status == SweepTrial::Status::Stopped) {
      pen.setStyle(Qt::DashLine);
      colour.setAlpha(150);
      pen.setColor(colour);
    }
    curve->setPen(pen);
    curve->setName(tr("trial %1").arg(t.id));
    ++m_lines;
  }
  replot(QCustomPlot::rpQueuedReplot);
}

ObjectiveScatterPlot::ObjectiveScatterPlot(QWidget* parent) : QCustomPlot(parent) {
  setObjectName("objectiveScatter");
  setMinimumHeight(200);
}

void ObjectiveScatterPlot::showTrials(const SweepDefinition& d, const std::vector<SweepTrial>& trials,
                                      int best, const std::set<int>& highlighted) {
  clearPlottables();
  plotLayout()->clear();
  m_panels = static_cast<int>(d.parameters.size());
  const QCPRange range = objectiveRange(trials);
  for (int i = 0; i < m_panels; ++i) {
    const auto& p = d.parameters[static_cast<size_t>(i)];
    const ParameterAxis scale(p, trials, static_cast<size_t>(i));
    auto* rect = new QCPAxisRect(this);
    plotLayout()->addElement(0, i, rect);
    QCPAxis* x = rect->axis(QCPAxis::atBottom);
    QCPAxis* y = rect->axis(QCPAxis::atLeft);
    x->setLabel(QString::fromStdString(p.key));
    y->setLabel(i == 0 ? QString::fromStdString(d.objective.metric) : QString());
    y->setRange(range.lower - 0.05 * range.size(), range.upper + 0.05 * range.size());
    if (!p.isRange()) {
      QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
      ticker->addTicks(scale.labels());
      x->setTicker(ticker);
      x->setRange(-0.15, 1.15);
    } else if (p.kind == RangeKind::LogUniform) {
      x->setScaleType(QCPAxis::stLogarithmic);
      x->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
      x->setRange(std::exp(std::log(p.low) - 0.1), std::exp(std::log(p.high) + 0.1));
    } else {
      const double pad = 0.05 * (p.high - p.low);
      x->setRange(p.low - pad, p.high + pad);
    }
    // Completed trials filled, stopped ones hollow, the best and the selected ones larger.
    for (int kind = 0; kind < 3; ++kind) {
      auto* graph = addGraph(x, y);
      graph->setLineStyle(QCPGraph::lsNone);
      const QColor colour = kind == 2 ? QColor("#d62728") : QColor("#1f77b4");
      graph->setScatterStyle(QCPScatterStyle(kind == 1 ? QCPScatterStyle::ssCircle : QCPScatterStyle::ssDisc,
                                             colour, kind == 1 ? Qt::transparent : colour,
                                             kind == 2 ? 10 : 6));
      for (const auto& t : trials) {
        if (!plotted(t) || static_cast<size_t>(i) >= t.values.size()) continue;
        const bool emphasised = t.id == best || highlighted.count(t.id);
        const int tKind = emphasised ? 2 : t.status == SweepTrial::Status::Stopped ? 1 : 0;
        if (tKind != kind) continue;
        const double value = p.isRange() ? QString::fromStdString(t.values[static_cast<size_t>(i)]).toDouble()
                                         : scale.position(t.values[static_cast<size_t>(i)]);
        if (std::isfinite(value)) graph->addData(value, t.objective);
      }
    }
  }
  replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace distill
