// Repeats' statistics: Student-t quantiles against published values, the paired interval against an
// independent computation, and the verdict's three cases.
#include <QtTest>
#include <cmath>

#include "distill/repeat_statistics.h"

using namespace distill;

class TestRepeatStatistics : public QObject {
  Q_OBJECT

private slots:
  void studentQuantilesMatchPublishedTables() {
    // Two-sided 95 % critical values (t at 0.975) and a one-sided 95 % one.
    const std::pair<int, double> table[] = {{1, 12.706204736174707}, {2, 4.302652729911275},
                                            {4, 2.776445105197799},  {9, 2.262157162740992},
                                            {29, 2.045229642132703}, {200, 1.971896224783998}};
    for (const auto& [dof, expected] : table)
      QVERIFY2(std::abs(studentTQuantile(0.975, dof) - expected) < 1e-8 * expected,
               qPrintable(QString::number(dof)));
    QVERIFY(std::abs(studentTQuantile(0.95, 10) - 1.812461122811676) < 1e-9);
    QVERIFY(std::abs(studentTQuantile(0.025, 4) + 2.776445105197799) < 1e-8);  // symmetric
    QCOMPARE(studentTQuantile(0.5, 3), 0.0);
  }

  void pairedIntervalMatchesAnIndependentComputation() {
    // The LSTM against its twin over three student seeds (README, Sweeps): differences −0.0135,
    // −0.0276, −0.0191. Python's statistics module with t(0.975, 2) = 4.302652729911275 gives mean
    // −0.020066666…, sd 0.0070995305…, interval [−0.0377028781, −0.0024304552].
    const auto d = pairedDifference({2.1222, 2.1045, 2.0903}, {2.1357, 2.1321, 2.1094});
    QCOMPARE(d.pairs, 3);
    QVERIFY(std::abs(d.mean + 0.020066666666666677) < 1e-12);
    QVERIFY(std::abs(d.sd - 0.00709953050090874) < 1e-12);
    QVERIFY(std::abs(d.low + 0.03770287812035905) < 1e-9);
    QVERIFY(std::abs(d.high + 0.0024304552129743064) < 1e-9);
    QCOMPARE(d.verdict, PairedDifference::Verdict::Wins);
  }

  void verdictsOnlyWhenTheIntervalExcludesZero() {
    QCOMPARE(pairedDifference({1.0, 1.1, 0.9}, {1.2, 1.3, 1.1}).verdict, PairedDifference::Verdict::Wins);
    QCOMPARE(pairedDifference({1.2, 1.3, 1.1}, {1.0, 1.1, 0.9}).verdict, PairedDifference::Verdict::Loses);
    // Differences −0.1, +0.1, −0.05: the interval holds zero.
    QCOMPARE(pairedDifference({1.0, 1.2, 1.0}, {1.1, 1.1, 1.05}).verdict,
             PairedDifference::Verdict::NoClearDifference);
    // One pair (or a NaN partner) gives no interval.
    QCOMPARE(pairedDifference({1.0}, {1.2}).verdict, PairedDifference::Verdict::NotMeasured);
    const auto partial = pairedDifference({1.0, NAN, 1.1}, {1.2, 1.3, 1.3});
    QCOMPARE(partial.pairs, 2);
    QCOMPARE(partial.verdict, PairedDifference::Verdict::Wins);
  }

  void spreadUsesTheSampleStandardDeviation() {
    const auto s = spreadOf({2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0});
    QCOMPARE(s.count, 8);
    QCOMPARE(s.mean, 5.0);
    QVERIFY(std::abs(s.sd - std::sqrt(32.0 / 7.0)) < 1e-12);
    QCOMPARE(spreadOf({3.0}).sd, 0.0);
    QCOMPARE(spreadOf({NAN, 1.0, 3.0}).count, 2);
  }
};

QTEST_APPLESS_MAIN(TestRepeatStatistics)
#include "tst_repeat_statistics.moc"
