#pragma once

#include <QHash>
#include <QString>
#include <QVector>

#include "distill/observer.h"

namespace distill {

/// Identifies one curve: which run (empty for the live one), which model, which metric.
struct SeriesKey {
  QString run;
  QString model;
  QString metric;
  bool operator==(const SeriesKey& o) const { return run == o.run && model == o.model && metric == o.metric; }
};
inline size_t qHash(const SeriesKey& k, size_t seed = 0) {
  return ::qHash(k.run + '\x1f' + k.model + '\x1f' + k.metric, seed);
}

/// One curve's raw points in arrival order. A run with repeats (train.repeats) gives one curve per
/// model and metric holding every repeat's points, one repeat after the other.
struct Series {
  QVector<double> steps;
  QVector<double> wallSeconds;
  QVector<double> values;
  QVector<int> repeats;  ///< each point's repeat (0: a run without repeats)
  int repeatCount = 0;   ///< repeats with points here (each repeat's points arrive together)

  /// Drawn as a mean with a band: points of two repeats or more (the teacher of a run with
  /// repeats trains in the first only, and is one curve).
  bool repeated() const { return repeatCount >= 2; }
};

/// How a repeated curve's spread is drawn around its mean.
enum class BandKind { MinMax, StandardDeviation };

/// A repeated curve summarised per step over the repeats that reached it: the mean and a band
/// (min–max, or mean ± 1 sample sd). Each repeat is smoothed on its own first (debiasedEma's
/// average); on the time axis x is the mean time into their repeats (each measured from its first
/// point), since repeats follow one another.
struct RepeatBand {
  QVector<double> x, mean, low, high;
  int repeats = 0;  ///< repeats in the curve
};
RepeatBand repeatBand(const Series& series, double smoothing, bool wallTime, BandKind kind);

/// TensorBoard's smoothing: an exponential moving average debiased for its zero start, so the
/// first points are not dragged towards 0. `weight` in [0, 1); 0 returns the values unchanged.
/// Non-finite values pass through without poisoning the average.
QVector<double> debiasedEma(const QVector<double>& values, double weight);

/// All curves the charts know, keyed by run/model/metric. GUI thread only.
class SeriesStore {
public:
  /// Appends points; returns the keys that changed.
  QVector<SeriesKey> append(const QString& run, const std::vector<MetricPoint>& points);
  void clearRun(const QString& run);
  const Series* find(const SeriesKey& key) const;
  QList<SeriesKey> keys() const { return m_series.keys(); }
  long long pointCount() const;
  /// run,model,metric,step,wall_s,value rows with a header line.
  QString toCsv() const;

private:
  QHash<SeriesKey, Series> m_series;
};

}  // namespace distill
