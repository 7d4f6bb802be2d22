#pragma once

#include <QObject>

namespace distill {

/// Keeps the mouse wheel from editing values by accident: a spin box, combo box or slider reacts
/// to the wheel only once it has keyboard focus (clicked or tabbed into); otherwise the wheel
/// goes on to its parent, so a scrolled form scrolls instead of changing the field under the
/// pointer. Installed once on the application, it covers widgets created later too.
class WheelGuard : public QObject {
  Q_OBJECT
public:
  explicit WheelGuard(QObject* parent = nullptr);

  /// Whether `object` is a widget the guard keeps from taking unfocused wheel events.
  static bool guards(const QObject* object);

protected:
  bool eventFilter(QObject* watched, QEvent* event) override;
};

}  // namespace distill
