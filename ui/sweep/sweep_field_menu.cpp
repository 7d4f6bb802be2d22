#include "sweep/sweep_field_menu.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QMenu>
#include <QSpinBox>

namespace distill {

QString sweepValueOf(const QWidget* field) {
  if (const auto* box = qobject_cast<const QSpinBox*>(field)) return QString::number(box->value());
  if (const auto* box = qobject_cast<const QDoubleSpinBox*>(field))
    return QString::number(box->value(), 'g', 6);
  if (const auto* box = qobject_cast<const QComboBox*>(field)) return box->currentText();
  return {};
}

void offerSweep(QWidget* field, std::function<QString()> key,
                std::function<void(const QString&, const QString&)> request) {
  if (!qobject_cast<QSpinBox*>(field) && !qobject_cast<QDoubleSpinBox*>(field) &&
      !qobject_cast<QComboBox*>(field))
    return;
  field->setContextMenuPolicy(Qt::CustomContextMenu);
  QObject::connect(field, &QWidget::customContextMenuRequested, field,
                   [field, key, request](const QPoint& at) {
                     const QString k = key();
                     QMenu menu(field);
                     menu.addAction(QObject::tr("Sweep %1…").arg(k), field,
                                    [field, k, request] { request(k, sweepValueOf(field)); });
                     menu.exec(field->mapToGlobal(at));
                   });
}

}  // namespace distill
