#pragma once

// Spin boxes configured in one call: range, step, tooltip (and the value, where given).

#include <QDoubleSpinBox>
#include <QSpinBox>

namespace distill {

QSpinBox* makeIntBox(int min, int max, const QString& tip, QWidget* parent);
QDoubleSpinBox* makeDoubleBox(double min, double max, int decimals, double step, const QString& tip, QWidget* parent);

}  // namespace distill
