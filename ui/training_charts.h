#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QTimer>
#include <QVector>
#include <QWidget>
#include <array>
#include <functional>

#include "model_colors.h"
#include "series_store.h"

class QCustomPlot;
class QCPGraph;
class QCPItemText;
class QCheckBox;
class QComboBox;
class QHBoxLayout;
class QSlider;
class QLabel;

namespace distill {

/// The live charts: every model's training cross-entropy on the next token (like with like), the
/// distilled students' objective and its soft/hard terms, validation loss, learning rate and
/// throughput. Points are appended incrementally (only new points reach QCustomPlot) and each
/// chart replots at most once per batch, queued. Overlaid runs are drawn thinner and faded,
/// tagged [1], [2], … in the legends.
class TrainingCharts : public QWidget {
  Q_OBJECT
public:
  enum Chart { TrainLoss, KdSplit, ValLoss, LearningRate, Throughput, ChartCount };

  explicit TrainingCharts(ModelPalette* palette, QWidget* parent = nullptr);

  /// `run` labels overlaid runs; the live run uses an empty label.
  void addPoints(const QString& run, const std::vector<MetricPoint>& points);
  void clearRun(const QString& run);
  /// Clears every overlaid run (the live run stays).
  void clearOverlays();

  /// Draws every chart now (before a grab or export).
  void flushReplots();
  bool exportPng(const QString& path);
  bool exportPdf(const QString& path);
  bool exportCsv(const QString& path) const;

  QCustomPlot* plot(Chart chart) const { return m_plots[chart]; }
  /// Points currently drawn in a chart (all its graphs).
  int drawnPoints(Chart chart) const;
  /// Whether a chart follows its data (false after the user dragged or wheel-zoomed it).
  bool followsData(Chart chart) const { return !m_userZoomed[chart]; }
  /// The legend entry of one curve in a chart (empty when it is not drawn there).
  QString legendEntry(Chart chart, const QString& run, const QString& model, const QString& metric) const;
  /// The short tag of an overlaid run ("[1]"), empty for the live run.
  QString runTag(const QString& run) const;
  /// Whether a chart shows its "how to start" hint (it has no curves yet).
  bool showsEmptyHint(Chart chart) const;
  long long storedPoints() const { return m_store.pointCount(); }
  bool validationInBits() const { return m_valInBits; }
  const SeriesStore& store() const { return m_store; }
  /// The band of a repeated curve in a chart (null when the curve is not repeated or not drawn).
  const QCPGraph* bandEdge(Chart chart, const QString& run, const QString& model, const QString& metric,
                           bool upper) const;

public slots:
  void setSmoothing(double weight);
  void setLogScale(bool on);
  void setWallTimeAxis(bool on);
  /// The band around a repeated run's mean: min–max or ±1 sd.
  void setBandKind(BandKind kind);
  /// The validation chart in bits per character of the validation text (comparable across
  /// tokenizers) instead of the loss per token.
  void setValidationInBits(bool on);
  void resetZoom();

private:
  /// One curve in one chart (a distilled student's cross-entropy is drawn in two charts).
  struct GraphKey {
    SeriesKey series;
    Chart chart = TrainLoss;
    bool operator==(const GraphKey& o) const { return series == o.series && chart == o.chart; }
    friend size_t qHash(const GraphKey& k, size_t seed = 0) {
      return qHash(k.series, seed) ^ static_cast<size_t>(k.chart);
    }
  };
  struct GraphState {
    QCPGraph* graph = nullptr;
    // A repeated run's curve: `graph` is the mean, these bound its band (no legend entries).
    QCPGraph* low = nullptr;
    QCPGraph* high = nullptr;
    Chart chart = TrainLoss;
    int shown = 0;  // points of the series already in the graph
    double ema = 0.0;
    int finiteCount = 0;
  };

  /// The row above the charts: smoothing, log scale, units, x axis, band, reset.
  QHBoxLayout* makeControls();
  QCustomPlot* makePlot(Chart chart, const QString& title, const QString& yLabel);
  QVector<Chart> chartsFor(const SeriesKey& key) const;
  GraphState* graphFor(const SeriesKey& key, Chart chart);
  QString legendName(const SeriesKey& key, Chart chart) const;
  void refreshOverlayKey();
  void feed(const SeriesKey& key, GraphState& state);
  /// A repeated curve: its mean and band over the repeats, redrawn whole.
  void feedRepeated(const SeriesKey& key, const Series& series, GraphState& state);
  void rebuildAll();
  void showTooltip(QCustomPlot* plot, QMouseEvent* event);
  void refreshAxes(Chart chart);
  void scheduleReplot(Chart chart);
  void replotDirty();
  /// Legend click: on the main chart a model's curves hide in every chart; elsewhere one curve.
  void toggleFromLegend(Chart chart, QCPGraph* graph);

  ModelPalette* m_palette;
  SeriesStore m_store;
  QHash<GraphKey, GraphState> m_graphs;
  std::array<QCustomPlot*, ChartCount> m_plots{};
  std::array<QCPItemText*, ChartCount> m_emptyHints{};
  // Only the user's drag or wheel zoom stops a chart from following its data (not a legend click).
  std::array<bool, ChartCount> m_userZoomed{};
  bool m_settingRange = false;    // our own range changes are no user zoom
  QHash<QString, int> m_runTags;  // overlaid run -> its number in the legends
  // Data bounds kept as points arrive: QCustomPlot's rescaleAxes() would scan every point.
  struct Bounds {
    double xMin = 0, xMax = 0, yMin = 0, yMax = 0, yMinPositive = 0;
    bool empty = true;
    void add(double x, double y);
  };
  std::array<Bounds, ChartCount> m_bounds{};
  // Replots are coalesced and spaced so drawing never takes more than about a fifth of the GUI
  // thread, however many points the charts hold.
  std::array<bool, ChartCount> m_dirty{};
  QTimer m_replotTimer;
  double m_lastReplotMs = 0.0;
  static constexpr int kAntialiasLimit = 50000;
  double m_smoothing = 0.6;
  bool m_logScale = false;
  bool m_wallTime = false;
  bool m_valInBits = false;
  BandKind m_bandKind = BandKind::MinMax;
  QComboBox* m_bandChoice = nullptr;  // shown once a repeated run is drawn
  QWidget* m_grid = nullptr;
  QSlider* m_smoothingSlider = nullptr;
  QLabel* m_smoothingLabel = nullptr;
  QLabel* m_overlayKey = nullptr;
};

}  // namespace distill
