#include "form_widgets.h"

#include <climits>
#include <cmath>
#include <stdexcept>

#include "distill/config_schema.h"

namespace distill {

namespace {

const SchemaKey& keyOf(const char* path) {
  const SchemaKey* key = findSchemaKey(path);
  if (!key) throw std::logic_error(std::string("the form names an experiment key the schema lacks: ") + path);
  return *key;
}

/// The doc as a tooltip: the schema's Markdown backticks dropped; live keys say so.
QString tooltipOf(const SchemaKey& key) {
  QString tip = QString::fromStdString(key.doc).remove('`');
  tip[0] = tip[0].toUpper();
  if (key.live) tip += QObject::tr(" (can change while running)");
  return tip;
}

}  // namespace

QSpinBox* makeIntBox(int min, int max, const QString& tip, QWidget* parent) {
  auto* box = new QSpinBox(parent);
  box->setRange(min, max);
  box->setToolTip(tip);
  box->setAccelerated(true);
  return box;
}

QDoubleSpinBox* makeDoubleBox(double min, double max, int decimals, double step, const QString& tip,
                              QWidget* parent) {
  auto* box = new QDoubleSpinBox(parent);
  box->setRange(min, max);
  box->setDecimals(decimals);
  box->setSingleStep(step);
  box->setToolTip(tip);
  return box;
}

QString schemaTooltip(const char* path) { return tooltipOf(keyOf(path)); }

QSpinBox* makeIntBox(const char* path, QWidget* parent) {
  const auto& key = keyOf(path);
  const int min = key.min ? static_cast<int>(*key.min) + (key.minOpen ? 1 : 0) : INT_MIN;
  const int max = key.max ? static_cast<int>(*key.max) - (key.maxOpen ? 1 : 0) : INT_MAX;
  return makeIntBox(min, max, tooltipOf(key), parent);
}

QDoubleSpinBox* makeDoubleBox(const char* path, int decimals, double step, QWidget* parent) {
  const auto& key = keyOf(path);
  const double resolution = std::pow(10.0, -decimals);
  const double min = key.min ? *key.min + (key.minOpen ? resolution : 0.0) : -1e9;
  const double max = key.max ? *key.max - (key.maxOpen ? resolution : 0.0) : 1e9;
  return makeDoubleBox(min, max, decimals, step, tooltipOf(key), parent);
}

}  // namespace distill
