#include "series_store.h"

#include <QSet>
#include <QTextStream>
#include <algorithm>
#include <cmath>
#include <map>

namespace distill {

QVector<double> debiasedEma(const QVector<double>& values, double weight) {
  if (weight <= 0.0) return values;
  QVector<double> out(values.size());
  double accumulated = 0.0;
  int finiteCount = 0;
  for (int i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (!std::isfinite(v)) {
      out[i] = v;
      continue;
    }
    ++finiteCount;
    accumulated = accumulated * weight + (1.0 - weight) * v;
    out[i] = accumulated / (1.0 - std::pow(weight, finiteCount));
  }
  return out;
}

RepeatBand repeatBand(const Series& s, double smoothing, bool wallTime, BandKind kind) {
  // Each repeat's points, smoothed within the repeat, grouped by step.
  struct AtStep {
    double x = 0.0;
    QVector<double> values;
  };
  std::map<double, AtStep> byStep;
  QSet<int> repeats;
  int repeat = -1;
  double start = 0.0, ema = 0.0;
  int finite = 0;
  for (int i = 0; i < s.values.size(); ++i) {
    if (s.repeats[i] != repeat) {  // a repeat's first point: its own clock and average start
      repeat = s.repeats[i];
      start = s.wallSeconds[i];
      ema = 0.0;
      finite = 0;
      repeats.insert(repeat);
    }
    double y = s.values[i];
    if (!std::isfinite(y)) continue;
    if (smoothing > 0.0) {
      ++finite;
      ema = ema * smoothing + (1.0 - smoothing) * y;
      y = ema / (1.0 - std::pow(smoothing, finite));
    }
    auto& at = byStep[s.steps[i]];
    at.x += s.wallSeconds[i] - start;
    at.values.push_back(y);
  }
  RepeatBand band;
  band.repeats = repeats.size();
  for (const auto& [step, at] : byStep) {
    const auto n = at.values.size();
    double sum = 0.0, squares = 0.0;
    for (double v : at.values) sum += v;
    const double mean = sum / n;
    for (double v : at.values) squares += (v - mean) * (v - mean);
    const double sd = n > 1 ? std::sqrt(squares / (n - 1)) : 0.0;
    band.x.push_back(wallTime ? at.x / n : step);
    band.mean.push_back(mean);
    if (kind == BandKind::MinMax) {
      band.low.push_back(*std::min_element(at.values.begin(), at.values.end()));
      band.high.push_back(*std::max_element(at.values.begin(), at.values.end()));
    } else {
      band.low.push_back(mean - sd);
      band.high.push_back(mean + sd);
    }
  }
  return band;
}

QVector<SeriesKey> SeriesStore::append(const QString& run, const std::vector<MetricPoint>& points) {
  QVector<SeriesKey> changed;
  QSet<SeriesKey> seen;
  for (const auto& p : points) {
    const SeriesKey key{run, QString::fromStdString(p.model), QString::fromStdString(p.name)};
    auto& series = m_series[key];
    series.steps.push_back(p.step);
    series.wallSeconds.push_back(p.wallSeconds);
    series.values.push_back(p.value);
    if (series.repeats.isEmpty() || series.repeats.back() != p.repeat) ++series.repeatCount;
    series.repeats.push_back(p.repeat);
    if (!seen.contains(key)) {
      seen.insert(key);
      changed.push_back(key);
    }
  }
  return changed;
}

void SeriesStore::clearRun(const QString& run) {
  for (auto it = m_series.begin(); it != m_series.end();)
    it = it.key().run == run ? m_series.erase(it) : std::next(it);
}

const Series* SeriesStore::find(const SeriesKey& key) const {
  const auto it = m_series.constFind(key);
  return it == m_series.constEnd() ? nullptr : &it.value();
}

long long SeriesStore::pointCount() const {
  long long n = 0;
  for (const auto& s : m_series) n += s.values.size();
  return n;
}

QString SeriesStore::toCsv() const {
  QString text;
  QTextStream out(&text);
  out << "run,model,metric,step,wall_s,value,repeat\n";
  auto keys = m_series.keys();
  std::sort(keys.begin(), keys.end(), [](const SeriesKey& a, const SeriesKey& b) {
    return std::tie(a.run, a.model, a.metric) < std::tie(b.run, b.model, b.metric);
  });
  for (const auto& key : keys) {
    const auto& s = m_series[key];
    for (int i = 0; i < s.values.size(); ++i)
      out << key.run << ',' << key.model << ',' << key.metric << ',' << s.steps[i] << ','
          << QString::number(s.wallSeconds[i], 'g', 10) << ',' << QString::number(s.values[i], 'g', 10) << ','
          << s.repeats[i] << '\n';
  }
  return text;
}

}  // namespace distill
