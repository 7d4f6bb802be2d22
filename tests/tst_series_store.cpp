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
    QCOMPARE(lines.front(), QString("run,model,metric,step,wall_s,value,repeat"));
    QCOMPARE(lines.size(), 4);
  }

  // Three repeats of one curve: per step the mean and the band over the repeats that reached it;
  // time is measured into each repeat (they follow one another).
  void aRepeatedCurveGivesItsMeanAndBandPerStep() {
    SeriesStore store;
    store.append("", {{"s-kd", 0, 0.0, "val/loss", 3.0, 1},
                      {"s-kd", 10, 10.0, "val/loss", 2.0, 1},
                      {"s-kd", 0, 20.0, "val/loss", 4.0, 2},
                      {"s-kd", 10, 32.0, "val/loss", 2.4, 2},
                      {"s-kd", 0, 40.0, "val/loss", 5.0, 3}});  // the third repeat is under way
    const Series& series = *store.find({"", "s-kd", "val/loss"});
    QVERIFY(series.repeated());
    auto band = repeatBand(series, 0.0, false, BandKind::MinMax);
    QCOMPARE(band.repeats, 3);
    QCOMPARE(band.x, (QVector<double>{0.0, 10.0}));
    QCOMPARE(band.mean, (QVector<double>{4.0, 2.2}));
    QCOMPARE(band.low, (QVector<double>{3.0, 2.0}));
    QCOMPARE(band.high, (QVector<double>{5.0, 2.4}));
    band = repeatBand(series, 0.0, false, BandKind::StandardDeviation);
    QCOMPARE(band.low[0], 3.0);  // sd of {3, 4, 5} is 1
    QCOMPARE(band.high[0], 5.0);
    band = repeatBand(series, 0.0, true, BandKind::MinMax);
    QCOMPARE(band.x, (QVector<double>{0.0, 11.0}));  // (10 + 12) / 2 seconds into the repeat
  }
};

QTEST_APPLESS_MAIN(TestSeriesStore)
#include "tst_series_store.moc"
