// The mouse wheel never edits a value by accident: a spin box, combo box or slider takes the wheel
// only once it has keyboard focus; otherwise the wheel is left for the form to scroll.
#include <QtTest>
#include <QtWidgets>

#include "experiment_form.h"
#include "ui_test_support.h"
#include "wheel_guard.h"

using namespace distill;

namespace {

/// One notch of the wheel over the middle of `widget`, as Qt delivers it to the widget.
bool turnWheel(QWidget* widget, int notches) {
  const QPointF at = QPointF(widget->rect().center());
  QWheelEvent event(at, widget->mapToGlobal(at), QPoint(), QPoint(0, 120 * notches), Qt::NoButton,
                    Qt::NoModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(widget, &event);
  return event.isAccepted();
}

}  // namespace

class TestWheelGuard : public QObject {
  Q_OBJECT
private slots:
  void initTestCase() { qApp->installEventFilter(new WheelGuard(qApp)); }

  void anUnfocusedSpinBoxIgnoresTheWheel() {
    ExperimentForm form;
    form.setConfig(tinyUiExperiment(10));
    form.resize(440, 900);
    form.show();
    QVERIFY(QTest::qWaitForWindowExposed(&form));
    // The fault as found: wheel over the form, the student's Layers went 2 -> 1.
    auto* student = form.studentTabs()->currentWidget()->findChild<ModelSpecEditor*>("studentSpec");
    QVERIFY(student);
    auto* layers = qobject_cast<QSpinBox*>(student->field("layers"));
    QVERIFY(layers);
    layers->setValue(2);
    const ExperimentConfig before = form.config();
    QVERIFY(!layers->hasFocus());
    const bool accepted = turnWheel(layers, -1);
    QCOMPARE(layers->value(), 2);
    QVERIFY2(!accepted, "the wheel event must stay ignored, so that the form scrolls");
    QCOMPARE(experimentToYaml(form.config()), experimentToYaml(before));
  }

  void everyValueWidgetOfTheFormIsGuarded() {
    ExperimentForm form;
    form.setConfig(tinyUiExperiment(10));
    form.show();
    QVERIFY(QTest::qWaitForWindowExposed(&form));
    int checked = 0;
    for (auto* widget : form.findChildren<QWidget*>()) {
      if (!WheelGuard::guards(widget) || !widget->isEnabled()) continue;
      // A wheel turn must not give them focus either (Qt::WheelFocus would, then edit them).
      QVERIFY2(widget->focusPolicy() != Qt::WheelFocus, qPrintable(widget->objectName()));
      if (auto* spin = qobject_cast<QAbstractSpinBox*>(widget)) {
        const QString text = spin->text();
        turnWheel(spin, 1);
        QCOMPARE(spin->text(), text);
      } else if (auto* combo = qobject_cast<QComboBox*>(widget)) {
        const int index = combo->currentIndex();
        turnWheel(combo, -1);
        QCOMPARE(combo->currentIndex(), index);
      }
      ++checked;
    }
    QVERIFY(checked > 20);
  }

  void aFocusedSpinBoxStillTakesTheWheel() {
    QWidget window;
    auto* spin = new QSpinBox(&window);
    spin->setRange(0, 10);
    spin->setValue(2);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    spin->setFocus();
    QVERIFY(spin->hasFocus());
    turnWheel(spin, 1);
    QCOMPARE(spin->value(), 3);
  }
};

QTEST_MAIN(TestWheelGuard)
#include "tst_wheel_guard.moc"
