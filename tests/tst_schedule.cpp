// Temperature / alpha schedules: pure functions of the step.
#include <torch/torch.h>

#include <QtTest>

#include "distill/schedule.h"

using namespace distill;

class TestSchedule : public QObject {
  Q_OBJECT
private slots:
  void values_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("step");
    QTest::addColumn<double>("expected");
    // start 4, end 1, 100 steps
    QTest::newRow("constant anywhere") << "constant" << 70 << 4.0;
    QTest::newRow("linear start") << "linear" << 0 << 4.0;
    QTest::newRow("linear quarter") << "linear" << 25 << 3.25;
    QTest::newRow("linear end") << "linear" << 100 << 1.0;
    QTest::newRow("linear past the end") << "linear" << 150 << 1.0;
    QTest::newRow("cosine start") << "cosine" << 0 << 4.0;
    QTest::newRow("cosine half") << "cosine" << 50 << 2.5;
    QTest::newRow("cosine quarter") << "cosine" << 25 << 1.0 + 3.0 * 0.5 * (1.0 + std::cos(M_PI * 0.25));
    QTest::newRow("cosine end") << "cosine" << 100 << 1.0;
  }
  void values() {
    QFETCH(QString, kind);
    QFETCH(int, step);
    QFETCH(double, expected);
    const double got = scheduledValue(*enumFromName<Schedule>(kind.toStdString()), 4.0, 1.0, step, 100);
    QVERIFY2(std::abs(got - expected) < 1e-12, qPrintable(QString("got %1").arg(got)));
  }
  void kindsHaveOneNameEach() {
    QCOMPARE(enumFromName<Schedule>("cosine"), std::optional<Schedule>(Schedule::Cosine));
    QVERIFY(!enumFromName<Schedule>("exponential"));
    for (const auto& name : enumNames<Schedule>())
      QCOMPARE(nameOf(*enumFromName<Schedule>(name)), name.c_str());
  }
};

QTEST_APPLESS_MAIN(TestSchedule)
#include "tst_schedule.moc"
