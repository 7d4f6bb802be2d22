#include "distill/repeat_statistics.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace distill {

namespace {

/// Continued fraction of the incomplete beta function (modified Lentz).
double betaContinuedFraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::abs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 300; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
    d = 1.0 + aa * d;
    c = 1.0 + aa / c;
    d = 1.0 / (std::abs(d) < kTiny ? kTiny : d);
    c = std::abs(c) < kTiny ? kTiny : c;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
    d = 1.0 + aa * d;
    c = 1.0 + aa / c;
    d = 1.0 / (std::abs(d) < kTiny ? kTiny : d);
    c = std::abs(c) < kTiny ? kTiny : c;
    const double step = d * c;
    h *= step;
    if (std::abs(step - 1.0) < 1e-15) break;
  }
  return h;
}

/// The regularised incomplete beta function I_x(a, b).
double incompleteBeta(double a, double b, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double front =
      std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1.0) / (a + b + 2.0)) return front * betaContinuedFraction(a, b, x) / a;
  return 1.0 - front * betaContinuedFraction(b, a, 1.0 - x) / b;
}

/// P(T <= t) for Student's t with `dof` degrees of freedom.
double studentTCdf(double t, int dof) {
  const double v = dof;
  const double tail = 0.5 * incompleteBeta(v / 2.0, 0.5, v / (v + t * t));
  return t >= 0.0 ? 1.0 - tail : tail;
}

}  // namespace

Spread spreadOf(const std::vector<double>& values) {
  Spread s;
  double sum = 0.0;
  for (double v : values)
    if (std::isfinite(v)) sum += v, ++s.count;
  if (s.count == 0) return {std::nan(""), std::nan(""), 0};
  s.mean = sum / s.count;
  double squares = 0.0;
  for (double v : values)
    if (std::isfinite(v)) squares += (v - s.mean) * (v - s.mean);
  s.sd = s.count > 1 ? std::sqrt(squares / (s.count - 1)) : 0.0;
  return s;
}

Spread spreadOf(const std::vector<RepeatOutcome>& outcomes, double RepeatOutcome::*number) {
  std::vector<double> values;
  for (const auto& o : outcomes) values.push_back(o.*number);
  return spreadOf(values);
}

double studentTQuantile(double p, int dof) {
  if (!(p > 0.0 && p < 1.0) || dof < 1)
    throw std::invalid_argument("studentTQuantile: p in (0, 1), dof >= 1");
  if (p < 0.5) return -studentTQuantile(1.0 - p, dof);
  double low = 0.0, high = 1.0;
  while (studentTCdf(high, dof) < p) high *= 2.0;
  for (int i = 0; i < 200 && high - low > 1e-12 * high; ++i) {
    const double mid = 0.5 * (low + high);
    (studentTCdf(mid, dof) < p ? low : high) = mid;
  }
  return 0.5 * (low + high);
}

PairedDifference pairedDifference(const std::vector<double>& distilled, const std::vector<double>& scratch,
                                  double confidence) {
  std::vector<double> differences;
  for (size_t i = 0; i < distilled.size() && i < scratch.size(); ++i)
    if (std::isfinite(distilled[i]) && std::isfinite(scratch[i]))
      differences.push_back(distilled[i] - scratch[i]);
  PairedDifference d;
  const Spread s = spreadOf(differences);
  d.pairs = s.count;
  d.mean = s.mean;
  d.sd = s.sd;
  if (d.pairs < 2) {
    d.low = d.high = std::nan("");
    return d;
  }
  const double half =
      studentTQuantile(1.0 - (1.0 - confidence) / 2.0, d.pairs - 1) * d.sd / std::sqrt(d.pairs);
  d.low = d.mean - half;
  d.high = d.mean + half;
  d.verdict = d.high < 0.0  ? PairedDifference::Verdict::Wins
              : d.low > 0.0 ? PairedDifference::Verdict::Loses
                            : PairedDifference::Verdict::NoClearDifference;
  return d;
}

PairedDifference pairedOverRepeats(const std::vector<RepeatOutcome>& distilled,
                                   const std::vector<RepeatOutcome>& scratch, double confidence) {
  std::vector<double> kd, twin;
  for (const auto& d : distilled)
    for (const auto& s : scratch)
      if (s.repeat == d.repeat) {
        kd.push_back(d.valLoss);
        twin.push_back(s.valLoss);
      }
  return pairedDifference(kd, twin, confidence);
}

std::string intervalText(const PairedDifference& d) {
  if (d.pairs < 2) return "not measured";
  char text[96];
  std::snprintf(text, sizeof text, "%+.4f [%+.4f, %+.4f] over %d seeds", d.mean, d.low, d.high, d.pairs);
  return text;
}

std::string verdictText(PairedDifference::Verdict verdict) {
  switch (verdict) {
    case PairedDifference::Verdict::Wins:
      return "distillation wins";
    case PairedDifference::Verdict::Loses:
      return "distillation loses";
    case PairedDifference::Verdict::NoClearDifference:
      return "no clear difference";
    case PairedDifference::Verdict::NotMeasured:
      break;
  }
  return "not measured";
}

}  // namespace distill
