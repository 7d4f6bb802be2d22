#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace distill {

namespace {

/// About `count` round tick values (1, 2 or 5 times a power of ten apart) covering [low, high].
std::vector<double> ticks(double low, double high, int count = 5) {
  const double span = high - low;
  if (!(span > 0)) return {low};
  const double rough = span / count;
  const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * magnitude >= rough) {
      step = m * magnitude;
      break;
    }
  std::vector<double> out;
  for (double t = std::ceil(low / step) * step; t <= high + step * 1e-9; t += step) out.push_back(t);
  return out;
}

std::string tickLabel(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", std::abs(v) < 1e-12 ? 0.0 : v);
  return text;
}

}  // namespace

std::string escapeHtml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string svgLineChart(const std::string& title, const std::string& xLabel, const std::string& yLabel,
                         const std::vector<ChartSeries>& series, int width, int height) {
  double xMin = INFINITY, xMax = -INFINITY, yMin = INFINITY, yMax = -INFINITY;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
        xMin = std::min(xMin, s.x[i]), xMax = std::max(xMax, s.x[i]);
        yMin = std::min(yMin, s.y[i]), yMax = std::max(yMax, s.y[i]);
      }
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' viewBox='0 0 " << width << " " << height << "' font-family='sans-serif' font-size='11'>";
  svg << "<text x='" << width / 2 << "' y='16' text-anchor='middle' font-size='13' font-weight='bold'>"
      << escapeHtml(title) << "</text>";
  if (!std::isfinite(xMin)) return svg.str() + "<text x='20' y='60'>no points</text></svg>";
  if (xMax == xMin) xMax = xMin + 1;
  const double pad = yMax > yMin ? 0.04 * (yMax - yMin) : std::max(1e-9, std::abs(yMax) * 0.1);
  yMin -= pad, yMax += pad;
  const int left = 56, right = width - 190, top = 28, bottom = height - 38;  // plot area; legend right
  auto px = [&](double x) { return left + (x - xMin) / (xMax - xMin) * (right - left); };
  auto py = [&](double y) { return bottom - (y - yMin) / (yMax - yMin) * (bottom - top); };
  svg << "<rect x='" << left << "' y='" << top << "' width='" << right - left << "' height='" << bottom - top
      << "' fill='none' stroke='#999'/>";
  for (double t : ticks(xMin, xMax))
    svg << "<line x1='" << px(t) << "' y1='" << top << "' x2='" << px(t) << "' y2='" << bottom
        << "' stroke='#eee'/><text x='" << px(t) << "' y='" << bottom + 14 << "' text-anchor='middle'>"
        << tickLabel(t) << "</text>";
  for (double t : ticks(yMin, yMax))
    svg << "<line x1='" << left << "' y1='" << py(t) << "' x2='" << right << "' y2='" << py(t)
        << "' stroke='#eee'/><text x='" << left - 4 << "' y='" << py(t) + 4 << "' text-anchor='end'>"
        << tickLabel(t) << "</text>";
  svg << "<text x='" << (left + right) / 2 << "' y='" << height - 6 << "' text-anchor='middle'>"
      << escapeHtml(xLabel) << "</text><text transform='translate(14," << (top + bottom) / 2
      << ") rotate(-90)' text-anchor='middle'>" << escapeHtml(yLabel) << "</text>";
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    svg << "<polyline fill='none' stroke='" << s.color << "' stroke-width='1.6'"
        << (s.dashed ? " stroke-dasharray='5,3'" : "") << " points='";
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) svg << px(s.x[i]) << "," << py(s.y[i]) << " ";
    svg << "'/>";
    if (s.markers)
      for (size_t i = 0; i < s.x.size(); ++i)
        if (std::isfinite(s.x[i]) && std::isfinite(s.y[i]))
          svg << "<circle cx='" << px(s.x[i]) << "' cy='" << py(s.y[i]) << "' r='2.5' fill='" << s.color
              << "'/>";
    const int ly = top + 8 + static_cast<int>(k) * 16;
    svg << "<line x1='" << right + 12 << "' y1='" << ly << "' x2='" << right + 36 << "' y2='" << ly
        << "' stroke='" << s.color << "' stroke-width='2'" << (s.dashed ? " stroke-dasharray='5,3'" : "")
        << "/><text x='" << right + 42 << "' y='" << ly + 4 << "'>" << escapeHtml(s.name) << "</text>";
  }
  return svg.str() + "</svg>";
}

}  // namespace distill
