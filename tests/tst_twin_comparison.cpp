// The verdict on each distilled student against its scratch twin: what the CLI prints and the
// runs table shows.
#include <QtTest>
#include <cmath>

#include "distill/twin_comparison.h"

using namespace distill;

class TestTwinComparison : public QObject {
  Q_OBJECT
private slots:
  void aDifferenceThatRoundsToZeroIsATie() {
    const auto c = compareWithTwin(3.0, 4.17371, 4.17368);
    QCOMPARE(c.verdict, TwinComparison::Verdict::Tie);
    QCOMPARE(verdictText(c.verdict), std::string("tie"));
  }

  void lowerDistilledLossWinsAndRecoversPartOfTheGap() {
    const auto c = compareWithTwin(3.0, 3.5, 4.0);
    QCOMPARE(c.verdict, TwinComparison::Verdict::DistillationWins);
    QCOMPARE(c.delta, -0.5);
    QCOMPARE(c.gapRecovered, 0.5);
    QCOMPARE(verdictText(c.verdict), std::string("distillation wins"));
  }

  void higherDistilledLossDoesNotWin() {
    const auto c = compareWithTwin(3.0, 4.2, 4.0);
    QCOMPARE(c.verdict, TwinComparison::Verdict::ScratchWins);
    QVERIFY(c.gapRecovered < 0.0);
  }

  void noGapToRecoverWhenTheTeacherIsNoBetter() {
    QVERIFY(std::isnan(compareWithTwin(4.5, 3.5, 4.0).gapRecovered));
  }

  void untrainedModelsAreNotMeasured() {
    const auto c = compareWithTwin(3.0, NAN, NAN);
    QCOMPARE(c.verdict, TwinComparison::Verdict::NotMeasured);
    QCOMPARE(verdictText(c.verdict), std::string("not trained"));
  }

  void pairsFollowTheModelsOrder() {
    std::vector<ModelSummary> models(5);
    const char* names[] = {"teacher", "b-kd", "b-scratch", "a-kd", "a-scratch"};
    const char* roles[] = {"teacher", "distilled", "scratch", "distilled", "scratch"};
    for (int i = 0; i < 5; ++i) {
      models[i].name = names[i];
      models[i].role = *parseModelRole(roles[i]);
      models[i].valLoss = 3.0 + i;
    }
    const auto pairs = twinPairs(models);
    QCOMPARE(pairs.size(), std::size_t(2));
    QCOMPARE(pairs[0].student, std::string("b"));
    QCOMPARE(pairs[1].scratch->name, std::string("a-scratch"));
  }
};

QTEST_GUILESS_MAIN(TestTwinComparison)
#include "tst_twin_comparison.moc"
