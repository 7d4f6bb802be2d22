#include "wheel_guard.h"

#include <QAbstractSlider>
#include <QAbstractSpinBox>
#include <QComboBox>
#include <QEvent>
#include <QWidget>

namespace distill {

WheelGuard::WheelGuard(QObject* parent) : QObject(parent) {}

bool WheelGuard::guards(const QObject* object) {
  return qobject_cast<const QAbstractSpinBox*>(object) || qobject_cast<const QComboBox*>(object) ||
         qobject_cast<const QAbstractSlider*>(object);
}

bool WheelGuard::eventFilter(QObject* watched, QEvent* event) {
  const auto type = event->type();
  if ((type != QEvent::Polish && type != QEvent::Wheel) || !guards(watched)) return false;
  auto* widget = static_cast<QWidget*>(watched);
  if (type == QEvent::Polish) {
    // Qt gives these widgets the focus on a wheel turn (Qt::WheelFocus), which would let the
    // very turn that passes over them edit them: they take focus by click or Tab only.
    if (widget->focusPolicy() == Qt::WheelFocus) widget->setFocusPolicy(Qt::StrongFocus);
    return false;
  }
  if (widget->hasFocus()) return false;
  // Not delivered, and left ignored: Qt hands an ignored wheel event on to the parent widget.
  event->ignore();
  return true;
}

}  // namespace distill
