#include "training_charts.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPdfWriter>
#include <QPushButton>
#include <QScopedValueRollback>
#include <QSlider>
#include <QToolTip>
#include <QVBoxLayout>
#include <cmath>

#include "distill/metric_names.h"

namespace distill {

QString TrainingCharts::runTag(const QString& run) const {
  return run.isEmpty() || !m_runTags.contains(run) ? QString() : QString("[%1]").arg(m_runTags.value(run));
}

QString TrainingCharts::legendName(const SeriesKey& key, Chart chart) const {
  QString name = key.model;
  if (chart == KdSplit) {
    if (key.metric == metric::kTrainLoss)
      name += tr(" objective");
    else
      name += key.metric == metric::kSoftLoss ? tr(" soft (KD)") : tr(" hard (CE)");
  }
  return key.run.isEmpty() ? name : runTag(key.run) + " " + name;
}

void TrainingCharts::Bounds::add(double x, double y) {
  if (!std::isfinite(x) || !std::isfinite(y)) return;
  if (empty) {
    xMin = xMax = x;
    yMin = yMax = y;
    yMinPositive = y > 0 ? y : 0;
    empty = false;
    return;
  }
  xMin = std::min(xMin, x);
  xMax = std::max(xMax, x);
  yMin = std::min(yMin, y);
  yMax = std::max(yMax, y);
  if (y > 0 && (yMinPositive <= 0 || y < yMinPositive)) yMinPositive = y;
}

QHBoxLayout* TrainingCharts::makeControls() {
  auto* controls = new QHBoxLayout;
  m_smoothingLabel = new QLabel(this);
  m_smoothingSlider = new QSlider(Qt::Horizontal, this);
  m_smoothingSlider->setRange(0, 99);
  m_smoothingSlider->setValue(static_cast<int>(m_smoothing * 100));
  m_smoothingSlider->setMaximumWidth(180);
  m_smoothingSlider->setToolTip(
      tr("Exponential moving average of the curves, debiased as in TensorBoard (0: raw)"));
  m_smoothingLabel->setText(tr("Smoothing %1").arg(m_smoothing, 0, 'f', 2));
  connect(m_smoothingSlider, &QSlider::valueChanged, this, [this](int v) { setSmoothing(v / 100.0); });
  auto* logScale = new QCheckBox(tr("Log scale"), this);
  logScale->setToolTip(tr("Logarithmic y axis for the loss and learning-rate charts"));
  connect(logScale, &QCheckBox::toggled, this, &TrainingCharts::setLogScale);
  auto* bits = new QCheckBox(tr("Bits/char"), this);
  bits->setObjectName("validationInBits");
  bits->setToolTip(
      tr("Validation in bits per character of the validation text instead of nats per token: models "
         "whose tokenizers differ compare on the same text (a char model: loss / ln 2)"));
  connect(bits, &QCheckBox::toggled, this, &TrainingCharts::setValidationInBits);
  auto* xAxis = new QComboBox(this);
  xAxis->addItems({tr("x: step"), tr("x: training time (s)")});
  xAxis->setToolTip(
      tr("Plot against the training step or the seconds the run has trained (pauses left out)"));
  connect(xAxis, &QComboBox::currentIndexChanged, this, [this](int i) { setWallTimeAxis(i == 1); });
  m_bandChoice = new QComboBox(this);
  m_bandChoice->addItems({tr("band: min–max"), tr("band: ±1 sd")});
  m_bandChoice->setToolTip(
      tr("A run with repeats (train.repeats) draws each model's mean over its repeats "
         "with a band: their range, or one standard deviation either side"));
  m_bandChoice->hide();
  connect(m_bandChoice, &QComboBox::currentIndexChanged, this,
          [this](int i) { setBandKind(i == 1 ? BandKind::StandardDeviation : BandKind::MinMax); });
  auto* reset = new QPushButton(tr("Reset zoom"), this);
  reset->setToolTip(tr("Fit every chart to its data again (drag to pan, wheel to zoom)"));
  connect(reset, &QPushButton::clicked, this, &TrainingCharts::resetZoom);
  controls->addWidget(m_smoothingLabel);
  controls->addWidget(m_smoothingSlider);
  controls->addSpacing(12);
  controls->addWidget(logScale);
  controls->addWidget(bits);
  controls->addWidget(xAxis);
  controls->addWidget(m_bandChoice);
  controls->addWidget(reset);
  controls->addStretch(1);
  auto* hint = new QLabel(tr("Click a legend entry to hide a curve; hover for values"), this);
  hint->setStyleSheet("color: #777;");
  controls->addWidget(hint);
  return controls;
}

TrainingCharts::TrainingCharts(ModelPalette* palette, QWidget* parent) : QWidget(parent), m_palette(palette) {
  m_replotTimer.setSingleShot(true);
  connect(&m_replotTimer, &QTimer::timeout, this, &TrainingCharts::replotDirty);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);

  layout->addLayout(makeControls());
  m_overlayKey = new QLabel(this);
  m_overlayKey->setObjectName("overlayKey");
  m_overlayKey->setStyleSheet("color: #555;");
  m_overlayKey->setWordWrap(true);
  m_overlayKey->hide();
  layout->addWidget(m_overlayKey);

  m_grid = new QWidget(this);
  auto* grid = new QGridLayout(m_grid);
  grid->setContentsMargins(0, 0, 0, 0);
  grid->setSpacing(6);
  // Like with like: the distilled students' objective mixes in the KD term, so the main chart
  // shows every model's cross-entropy on the true next token and the objective has its own.
  m_plots[TrainLoss] =
      makePlot(TrainLoss, tr("Training cross-entropy on the next token (every model)"), tr("nats"));
  // (short enough for half the window's width: the legend says which line is which term)
  m_plots[KdSplit] = makePlot(KdSplit, tr("Distilled objective α·soft + (1−α)·hard"), tr("loss term"));
  m_plots[ValLoss] = makePlot(ValLoss, tr("Validation loss"), tr("loss"));
  m_plots[LearningRate] = makePlot(LearningRate, tr("Learning rate"), tr("lr"));
  m_plots[Throughput] = makePlot(Throughput, tr("Throughput"), tr("tokens/s"));
  grid->addWidget(m_plots[TrainLoss], 0, 0, 1, 2);
  grid->addWidget(m_plots[KdSplit], 1, 0);
  grid->addWidget(m_plots[ValLoss], 1, 1);
  grid->addWidget(m_plots[LearningRate], 2, 0);
  grid->addWidget(m_plots[Throughput], 2, 1);
  grid->setRowStretch(0, 3);
  grid->setRowStretch(1, 2);
  grid->setRowStretch(2, 2);
  layout->addWidget(m_grid, 1);
}

QCustomPlot* TrainingCharts::makePlot(Chart chart, const QString& title, const QString& yLabel) {
  auto* plot = new QCustomPlot(this);
  plot->setMinimumSize(260, 160);
  plot->plotLayout()->insertRow(0);
  auto* heading = new QCPTextElement(plot, title, QFont(font().family(), 10, QFont::Bold));
  plot->plotLayout()->addElement(0, 0, heading);
  plot->xAxis->setLabel(tr("step"));
  plot->yAxis->setLabel(yLabel);
  plot->legend->setVisible(false);  // shown once the chart has curves
  plot->legend->setFont(QFont(font().family(), chart == TrainLoss ? 8 : 7));
  plot->legend->setRowSpacing(0);
  plot->legend->setBrush(QColor(255, 255, 255, 210));
  plot->legend->setSelectableParts(QCPLegend::spItems);
  if (chart == TrainLoss || chart == KdSplit) {
    // The legend sits beside the plot, never over the curves.
    plot->axisRect()->insetLayout()->take(plot->legend);
    plot->axisRect()->insetLayout()->simplify();
    auto* legendCell = new QCPLayoutGrid;
    plot->plotLayout()->addElement(1, 1, legendCell);
    legendCell->addElement(0, 0, plot->legend);
    legendCell->addElement(1, 0, new QCPLayoutElement(plot));  // pushes the legend to the top
    legendCell->setRowStretchFactor(1, 100);
    legendCell->setMargins(QMargins(0, 8, 4, 0));
    plot->plotLayout()->setColumnStretchFactor(1, 0.001);
  } else {
    // No legend here (the main chart's names every curve). A hidden legend beside the plot would
    // still claim its items' size in the layout and squeeze the title until its text is cut.
    plot->setAutoAddPlottableToLegend(false);
  }
  plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot->setNoAntialiasingOnDrag(true);
  plot->setMouseTracking(true);
  m_emptyHints[chart] = new QCPItemText(plot);
  m_emptyHints[chart]->position->setType(QCPItemPosition::ptAxisRectRatio);
  m_emptyHints[chart]->position->setCoords(0.5, 0.5);
  m_emptyHints[chart]->setText(
      chart == TrainLoss ? tr("No curves yet.\nPress Start (Ctrl+R) to train the experiment on the left:\n"
                              "its curves appear here live. Or open a past run in the Runs tab.")
                         : tr("No curves yet"));
  m_emptyHints[chart]->setColor(QColor(120, 120, 120));
  m_emptyHints[chart]->setFont(QFont(font().family(), chart == TrainLoss ? 11 : 9));
  connect(plot, &QCustomPlot::legendClick, this,
          [this, chart](QCPLegend*, QCPAbstractLegendItem* item, QMouseEvent*) {
            auto* entry = qobject_cast<QCPPlottableLegendItem*>(item);
            if (auto* graph = entry ? qobject_cast<QCPGraph*>(entry->plottable()) : nullptr)
              toggleFromLegend(chart, graph);
          });
  connect(plot, &QCustomPlot::mouseMove, this, [this, plot](QMouseEvent* e) { showTooltip(plot, e); });
  // A drag or a wheel zoom changes a range; a click (on the legend, say) does not.
  for (QCPAxis* axis : {plot->xAxis, plot->yAxis})
    connect(axis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this, chart] {
      if (!m_settingRange) m_userZoomed[chart] = true;
    });
  return plot;
}

void TrainingCharts::toggleFromLegend(Chart chart, QCPGraph* graph) {
  const bool visible = !graph->visible();
  SeriesKey clicked;
  for (auto it = m_graphs.cbegin(); it != m_graphs.cend(); ++it)
    if (it->graph == graph) clicked = it.key().series;
  for (auto it = m_graphs.begin(); it != m_graphs.end(); ++it) {
    const bool sameModel = it.key().series.run == clicked.run && it.key().series.model == clicked.model;
    if (it->graph != graph && !(chart == TrainLoss && sameModel)) continue;
    for (auto* shown : {it->graph, it->low, it->high})
      if (shown) shown->setVisible(visible);
    auto* plot = m_plots[it->chart];
    if (auto* item = plot->legend->itemWithPlottable(it->graph))
      item->setTextColor(visible ? Qt::black : QColor(170, 170, 170));
    scheduleReplot(it->chart);
  }
}

QVector<TrainingCharts::Chart> TrainingCharts::chartsFor(const SeriesKey& key) const {
  const QString& m = key.metric;
  // A distilled student's train/loss is its objective; its cross-entropy is what compares with
  // the teacher's and the scratch twin's train/loss.
  const bool distilled = key.model.endsWith("-kd");
  if (m == metric::kTrainLoss) return {distilled ? KdSplit : TrainLoss};
  if (m == metric::kHardLoss && distilled) return {TrainLoss, KdSplit};
  if (m == metric::kSoftLoss && distilled) return {KdSplit};
  if (m == (m_valInBits ? metric::kValBitsPerChar : metric::kValLoss)) return {ValLoss};
  if (m == metric::kLearningRate) return {LearningRate};
  if (m == metric::kTokensPerSecond) return {Throughput};
  return {};
}

QString TrainingCharts::legendEntry(Chart chart, const QString& run, const QString& model,
                                    const QString& metric) const {
  const auto it = m_graphs.find({SeriesKey{run, model, metric}, chart});
  return it == m_graphs.end() ? QString() : it->graph->name();
}

bool TrainingCharts::showsEmptyHint(Chart chart) const { return m_emptyHints[chart]->visible(); }

TrainingCharts::GraphState* TrainingCharts::graphFor(const SeriesKey& key, Chart chart) {
  auto it = m_graphs.find({key, chart});
  if (it != m_graphs.end()) return &it.value();
  if (!key.run.isEmpty() && !m_runTags.contains(key.run)) {
    int next = 1;
    for (int tag : m_runTags) next = std::max(next, tag + 1);
    m_runTags.insert(key.run, next);
    refreshOverlayKey();
  }
  GraphState state;
  state.chart = chart;
  state.graph = m_plots[chart]->addGraph();
  state.graph->setName(legendName(key, chart));
  QPen pen = m_palette->pen(key.model);
  if (chart == KdSplit && key.metric != metric::kTrainLoss)
    pen.setStyle(key.metric == metric::kSoftLoss ? Qt::DashLine : Qt::DotLine);
  if (!key.run.isEmpty()) {
    // An overlaid run stays in the background: thinner and faded.
    QColor faded = pen.color();
    faded.setAlpha(110);
    pen.setColor(faded);
    pen.setWidthF(1.0);
    // The objective chart is small and already lists three lines per student: an overlaid run's
    // would push its legend past the chart's height (the overlay key above names that run).
    if (chart == KdSplit) state.graph->removeFromLegend();
  }
  state.graph->setPen(pen);
  state.graph->setAdaptiveSampling(true);
  if (chart == ValLoss)
    state.graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, key.run.isEmpty() ? 5 : 3));
  return &m_graphs.insert({key, chart}, state).value();
}

void TrainingCharts::refreshOverlayKey() {
  QStringList entries;
  for (auto it = m_runTags.cbegin(); it != m_runTags.cend(); ++it)
    entries << QString("[%1] %2").arg(it.value()).arg(it.key());
  entries.sort();
  m_overlayKey->setText(tr("Overlaid (faded): %1").arg(entries.join("   ")));
  m_overlayKey->setVisible(!entries.isEmpty());
}

void TrainingCharts::feedRepeated(const SeriesKey& key, const Series& series, GraphState& state) {
  auto* plot = m_plots[state.chart];
  if (!state.low) {
    // The band: two edge graphs without lines, the upper filled down to the lower.
    QColor fill = state.graph->pen().color();
    fill.setAlpha(key.run.isEmpty() ? 45 : 25);
    state.low = plot->addGraph();
    state.high = plot->addGraph();
    for (auto* edge : {state.low, state.high}) {
      edge->setPen(Qt::NoPen);
      edge->removeFromLegend();
      edge->setVisible(state.graph->visible());
    }
    state.high->setBrush(fill);
    state.high->setChannelFillGraph(state.low);
    m_bandChoice->show();
  }
  const bool smoothed = m_smoothing > 0.0 && state.chart != ValLoss && state.chart != LearningRate;
  const RepeatBand band = repeatBand(series, smoothed ? m_smoothing : 0.0, m_wallTime, m_bandKind);
  state.graph->setData(band.x, band.mean, true);
  state.low->setData(band.x, band.low, true);
  state.high->setData(band.x, band.high, true);
  state.graph->setName(legendName(key, state.chart) + tr(" (mean of %1)").arg(band.repeats));
  for (int i = 0; i < band.x.size(); ++i) {
    m_bounds[state.chart].add(band.x[i], band.low[i]);
    m_bounds[state.chart].add(band.x[i], band.high[i]);
  }
  state.shown = series.values.size();
}

void TrainingCharts::feed(const SeriesKey& key, GraphState& state) {
  const Series* series = m_store.find(key);
  if (!series) return;
  if (series->repeated()) return feedRepeated(key, *series, state);
  const int n = series->values.size();
  if (state.shown >= n) return;
  // Only per-step training curves are smoothed: validation points are few and already averages.
  const bool smoothed = m_smoothing > 0.0 && state.chart != ValLoss && state.chart != LearningRate;
  // (each chart's copy of a curve keeps its own running average)
  QVector<double> xs, ys;
  xs.reserve(n - state.shown);
  ys.reserve(n - state.shown);
  for (int i = state.shown; i < n; ++i) {
    const double v = series->values[i];
    double y = v;
    if (smoothed && std::isfinite(v)) {
      // The same debiased EMA as debiasedEma(), continued point by point.
      ++state.finiteCount;
      state.ema = state.ema * m_smoothing + (1.0 - m_smoothing) * v;
      y = state.ema / (1.0 - std::pow(m_smoothing, state.finiteCount));
    }
    xs.push_back(m_wallTime ? series->wallSeconds[i] : series->steps[i]);
    ys.push_back(y);
    m_bounds[state.chart].add(xs.back(), y);
  }
  state.graph->addData(xs, ys, true);
  state.shown = n;
}

void TrainingCharts::addPoints(const QString& run, const std::vector<MetricPoint>& points) {
  std::array<bool, ChartCount> dirty{};
  for (const auto& key : m_store.append(run, points)) {
    for (Chart chart : chartsFor(key)) {
      GraphState* state = graphFor(key, chart);
      feed(key, *state);
      dirty[chart] = true;
    }
  }
  for (int c = 0; c < ChartCount; ++c)
    if (dirty[c]) refreshAxes(static_cast<Chart>(c));
}

void TrainingCharts::refreshAxes(Chart chart) {
  auto* plot = m_plots[chart];
  plot->legend->setVisible(plot->graphCount() > 0 && (chart == TrainLoss || chart == KdSplit));
  // The legend's column is stretched as little as possible; its entries' width is its minimum,
  // so names are never cut.
  if (auto* legendCell = plot->plotLayout()->columnCount() > 1 ? plot->plotLayout()->element(1, 1) : nullptr)
    legendCell->setMinimumSize(plot->legend->visible() ? plot->legend->minimumOuterSizeHint().width() : 0, 0);
  m_emptyHints[chart]->setVisible(plot->graphCount() == 0);
  const Bounds& b = m_bounds[chart];
  const QScopedValueRollback<bool> ours(m_settingRange, true);
  if (!m_userZoomed[chart] && !b.empty) {
    const double xPad = b.xMax > b.xMin ? 0.0 : 1.0;
    plot->xAxis->setRange(b.xMin - xPad, b.xMax + xPad);
    if (m_logScale && chart != Throughput && b.yMinPositive > 0) {
      plot->yAxis->setRange(b.yMinPositive / 1.1, std::max(b.yMax, b.yMinPositive) * 1.1);
    } else {
      const double pad = b.yMax > b.yMin ? 0.04 * (b.yMax - b.yMin) : std::max(1e-9, std::abs(b.yMax) * 0.1);
      plot->yAxis->setRange(b.yMin - pad, b.yMax + pad);
    }
  }
  scheduleReplot(chart);
}

void TrainingCharts::scheduleReplot(Chart chart) {
  m_dirty[chart] = true;
  if (m_replotTimer.isActive()) return;
  // Wait at least 4x the last replot's cost (and ~a frame): drawing takes ≤ ~20 % of the thread.
  m_replotTimer.start(static_cast<int>(std::max(33.0, 4.0 * m_lastReplotMs)));
}

void TrainingCharts::replotDirty() {
  QElapsedTimer clock;
  clock.start();
  for (int c = 0; c < ChartCount; ++c) {
    if (!m_dirty[c]) continue;
    m_dirty[c] = false;
    // Antialiased lines cost ~3x more to draw (measured: 65 vs 22 ms for 200k points); past
    // kAntialiasLimit points the chart draws plain lines to keep the GUI thread responsive.
    const bool crowded = drawnPoints(static_cast<Chart>(c)) > kAntialiasLimit;
    m_plots[c]->setNotAntialiasedElements(crowded ? QCP::aePlottables : QCP::aeNone);
    m_plots[c]->replot(QCustomPlot::rpQueuedRefresh);
  }
  m_lastReplotMs = clock.nsecsElapsed() / 1e6;
}

void TrainingCharts::clearOverlays() {
  for (const auto& key : store().keys())
    if (!key.run.isEmpty()) clearRun(key.run);
}

void TrainingCharts::clearRun(const QString& run) {
  m_store.clearRun(run);
  const bool hadRun = std::any_of(m_graphs.keyBegin(), m_graphs.keyEnd(),
                                  [&](const GraphKey& k) { return k.series.run == run; });
  if (m_runTags.remove(run) > 0) refreshOverlayKey();
  for (auto it = m_graphs.begin(); it != m_graphs.end();) {
    if (it.key().series.run == run) {
      for (auto* graph : {it->graph, it->low, it->high})
        if (graph) m_plots[it->chart]->removeGraph(graph);
      it = m_graphs.erase(it);
    } else {
      ++it;
    }
  }
  if (hadRun) rebuildAll();  // the bounds must forget the removed curves
}

void TrainingCharts::rebuildAll() {
  m_bounds = {};
  for (auto it = m_graphs.begin(); it != m_graphs.end(); ++it) {
    it->graph->data()->clear();
    it->shown = 0;
    it->ema = 0.0;
    it->finiteCount = 0;
    feed(it.key().series, it.value());
  }
  for (int c = 0; c < ChartCount; ++c) {
    m_plots[c]->xAxis->setLabel(m_wallTime ? tr("training time (s), pauses left out") : tr("step"));
    m_userZoomed[c] = false;
    refreshAxes(static_cast<Chart>(c));
  }
}

void TrainingCharts::setSmoothing(double weight) {
  m_smoothing = std::clamp(weight, 0.0, 0.99);
  m_smoothingLabel->setText(tr("Smoothing %1").arg(m_smoothing, 0, 'f', 2));
  if (m_smoothingSlider->value() != static_cast<int>(std::lround(m_smoothing * 100)))
    m_smoothingSlider->setValue(static_cast<int>(std::lround(m_smoothing * 100)));
  rebuildAll();
}

void TrainingCharts::setLogScale(bool on) {
  m_logScale = on;
  const QScopedValueRollback<bool> ours(m_settingRange, true);
  for (Chart c : {TrainLoss, KdSplit, ValLoss, LearningRate}) {
    auto* axis = m_plots[c]->yAxis;
    axis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (on) {
      axis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    } else {
      axis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    }
    refreshAxes(c);
  }
}

void TrainingCharts::setValidationInBits(bool on) {
  if (m_valInBits == on) return;
  m_valInBits = on;
  // The validation chart draws the other metric of every stored series: its curves are remade.
  for (auto it = m_graphs.begin(); it != m_graphs.end();) {
    if (it->chart != ValLoss) {
      ++it;
      continue;
    }
    for (auto* graph : {it->graph, it->low, it->high})
      if (graph) m_plots[ValLoss]->removeGraph(graph);
    it = m_graphs.erase(it);
  }
  for (const auto& key : m_store.keys())
    if (chartsFor(key).contains(ValLoss)) graphFor(key, ValLoss);
  m_plots[ValLoss]->yAxis->setLabel(on ? tr("bits per character") : tr("loss"));
  rebuildAll();
  scheduleReplot(ValLoss);
}

void TrainingCharts::setWallTimeAxis(bool on) {
  m_wallTime = on;
  rebuildAll();
}

void TrainingCharts::setBandKind(BandKind kind) {
  m_bandKind = kind;
  if (m_bandChoice->currentIndex() != (kind == BandKind::StandardDeviation ? 1 : 0))
    m_bandChoice->setCurrentIndex(kind == BandKind::StandardDeviation ? 1 : 0);
  rebuildAll();
}

const QCPGraph* TrainingCharts::bandEdge(Chart chart, const QString& run, const QString& model,
                                         const QString& metric, bool upper) const {
  const auto it = m_graphs.find({SeriesKey{run, model, metric}, chart});
  if (it == m_graphs.end()) return nullptr;
  return upper ? it->high : it->low;
}

void TrainingCharts::resetZoom() {
  for (int c = 0; c < ChartCount; ++c) {
    m_userZoomed[c] = false;
    refreshAxes(static_cast<Chart>(c));
  }
}

int TrainingCharts::drawnPoints(Chart chart) const {
  int n = 0;
  for (int i = 0; i < m_plots[chart]->graphCount(); ++i) n += m_plots[chart]->graph(i)->data()->size();
  return n;
}

void TrainingCharts::showTooltip(QCustomPlot* plot, QMouseEvent* event) {
  const double x = plot->xAxis->pixelToCoord(event->pos().x());
  QStringList lines;
  double shownX = x;
  for (int i = 0; i < plot->graphCount(); ++i) {
    auto* graph = plot->graph(i);
    if (!graph->visible() || graph->data()->isEmpty() || graph->name().isEmpty())
      continue;  // band edges: unnamed
    auto it = graph->data()->findBegin(x, false);
    if (it == graph->data()->constEnd()) it = graph->data()->constEnd() - 1;
    if (it != graph->data()->constBegin()) {
      auto before = it - 1;
      if (std::abs(before->key - x) < std::abs(it->key - x)) it = before;
    }
    shownX = it->key;
    lines << QString("%1: %2").arg(graph->name(), QString::number(it->value, 'g', 5));
  }
  if (lines.isEmpty()) return;
  lines.prepend(QString("%1 %2").arg(m_wallTime ? tr("t =") : tr("step"), QString::number(shownX, 'g', 7)));
  QToolTip::showText(event->globalPosition().toPoint(), lines.join('\n'), plot);
}

void TrainingCharts::flushReplots() {
  m_replotTimer.stop();
  for (auto* plot : m_plots) plot->replot(QCustomPlot::rpImmediateRefresh);
  m_dirty = {};
}

bool TrainingCharts::exportPng(const QString& path) {
  flushReplots();
  return m_grid->grab().save(path, "PNG");
}

bool TrainingCharts::exportPdf(const QString& path) {
  flushReplots();
  QPdfWriter writer(path);
  writer.setPageSize(QPageSize(QPageSize::A4));
  writer.setPageOrientation(QPageLayout::Landscape);
  writer.setTitle(tr("Distillation training curves"));
  QPainter painter;
  if (!painter.begin(&writer)) return false;
  const QSize size = m_grid->size();
  const double scale = std::min(painter.viewport().width() / double(size.width()),
                                painter.viewport().height() / double(size.height()));
  painter.scale(scale, scale);
  m_grid->render(&painter);
  painter.end();
  return QFile::exists(path);
}

bool TrainingCharts::exportCsv(const QString& path) const {
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) return false;
  return file.write(m_store.toCsv().toUtf8()) >= 0;
}

}  // namespace distill
