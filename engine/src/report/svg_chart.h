#pragma once

// Line charts as inline SVG for the HTML report (no plotting library: a few axes, ticks and
// polylines).

#include <string>
#include <vector>

namespace distill {

struct ChartSeries {
  std::string name;
  std::string color;  ///< CSS colour
  bool dashed = false;
  bool markers = false;  ///< a dot at every point (few points: validation)
  std::vector<double> x, y;
};

/// An SVG element of `width` × `height` pixels: title, axes with round ticks, one polyline per
/// series, a legend on the right. Non-finite points are left out.
std::string svgLineChart(const std::string& title, const std::string& xLabel, const std::string& yLabel,
                         const std::vector<ChartSeries>& series, int width = 760, int height = 320);

/// `text` with &, <, >, " and ' escaped for HTML and SVG.
std::string escapeHtml(const std::string& text);

}  // namespace distill
