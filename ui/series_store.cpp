#include "series_store.h"

#include <QSet>
#include <QTextStream>
#include <algorithm>
#include <cmath>

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

QVector<SeriesKey> SeriesStore::append(const QString& run, const std::vector<MetricPoint>& points) {
  QVector<SeriesKey> changed;
  QSet<SeriesKey> seen;
  for (const auto& p : points) {
    const SeriesKey key{run, QString::fromStdString(p.model), QString::fromStdString(p.name)};
    auto& series = m_series[key];
    series.steps.push_back(p.step);
    series.wallSeconds.push_back(p.wallSeconds);
    series.values.push_back(p.value);
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
  out << "run,model,metric,step,wall_s,value\n";
  auto keys = m_series.keys();
  std::sort(keys.begin(), keys.end(), [](const SeriesKey& a, const SeriesKey& b) {
    return std::tie(a.run, a.model, a.metric) < std::tie(b.run, b.model, b.metric);
  });
  for (const auto& key : keys) {
    const auto& s = m_series[key];
    for (int i = 0; i < s.values.size(); ++i)
      out << key.run << ',' << key.model << ',' << key.metric << ',' << s.steps[i] << ','
          << QString::number(s.wallSeconds[i], 'g', 10) << ',' << QString::number(s.values[i], 'g', 10)
          << '\n';
  }
  return text;
}

}  // namespace distill
