// Curve storage and TensorBoard-style smoothing.
#include <QtTest>
#include <cmath>

#include "series_store.h"

using namespace distill;

class TestSeriesStore : public QObject {
  Q_OBJECT
private slots:
  void debiasedEmaMatchesHandComputed() {
    // w = 0.5: acc1 = 0.5*2 = 1 → 1/(1-0.5) = 2; acc2 = 0.5*1 + 0.5*4 = 2.5 → 2.5/(1-0.25) = 3.333…
    const auto out = debiasedEma({2.0, 4.0}, 0.5);
    QCOMPARE(out[0], 2.0);
    QVERIFY(std::abs(out[1] - 10.0 / 3.0) < 1e-12);
  }
  void zeroWeightLeavesValues() {
    QCOMPARE(debiasedEma({1.0, 5.0, 2.0}, 0.0), (QVector<double>{1.0, 5.0, 2.0}));
  }
  void constantStaysConstant() {
    for (double v : debiasedEma(QVector<double>(50, 3.0), 0.9)) QVERIFY(std::abs(v - 3.0) < 1e-12);
  }
  void nanDoesNotPoisonTheAverage() {
    const auto out = debiasedEma({1.0, NAN, 1.0}, 0.8);
    QVERIFY(std::isnan(out[1]));
    QVERIFY(std::abs(out[2] - 1.0) < 1e-12);
  }
  void appendGroupsByRunModelMetricAndExportsCsv() {
    SeriesStore store;
    const auto changed = store.append("", {{"teacher", 1, 0.1, "train/loss", 4.0},
                                           {"teacher", 2, 0.2, "train/loss", 3.5},
                                           {"s-kd", 2, 0.2, "train/loss", 4.1}});
    QCOMPARE(changed.size(), 2);
    QCOMPARE(store.find({"", "teacher", "train/loss"})->values, (QVector<double>{4.0, 3.5}));
    store.append("old", {{"teacher", 1, 0.1, "train/loss", 9.0}});
    store.clearRun("old");
    QCOMPARE(store.pointCount(), 3LL);
    const QStringList lines = store.toCsv().trimmed().split('\n');
    QCOMPARE(lines.front(), QString("run,model,metric,step,wall_s,value"));
    QCOMPARE(lines.size(), 4);
  }
};

QTEST_APPLESS_MAIN(TestSeriesStore)
#include "tst_series_store.moc"
