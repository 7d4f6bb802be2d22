#pragma once

// Spin boxes configured in one call: range, step, tooltip. The schema overloads take the range and
// the tooltip from the experiment key's declaration (distill/config_schema.h), so the form and
// validation cannot disagree.

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QSpinBox>

#include "distill/config.h"

namespace distill {

QSpinBox* makeIntBox(int min, int max, const QString& tip, QWidget* parent);
QDoubleSpinBox* makeDoubleBox(double min, double max, int decimals, double step, const QString& tip,
                              QWidget* parent);

/// A box for the experiment key `key` ("train.batch_size"): its allowed range and its doc.
QSpinBox* makeIntBox(const char* key, QWidget* parent);
/// Open bounds become the nearest value the box can show at `decimals`.
QDoubleSpinBox* makeDoubleBox(const char* key, int decimals, double step, QWidget* parent);

/// The schema's doc of the experiment key `key` as a tooltip (for a widget the makers above do not build).
QString schemaTooltip(const char* key);
/// A combo box offering an enumeration's names (the experiment's spellings).
template <class E>
void fillChoices(QComboBox* box) {
  for (const auto& name : enumNames<E>()) box->addItem(QString::fromStdString(name));
}
template <class E>
void showChoice(QComboBox* box, E value) {
  box->setCurrentText(QString::fromUtf8(nameOf(value)));
}
/// The shown choice (a box filled by fillChoices always shows one of E's names).
template <class E>
E choiceOf(const QComboBox* box) {
  return enumFromName<E>(box->currentText().toStdString()).value_or(E{});
}

}  // namespace distill
