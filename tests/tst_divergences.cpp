// Every output-distribution loss against an independent double-precision reference written out
// term by term, plus the edge cases: T != 1, masked rows, one-hot teachers, very negative logits.
#include <torch/torch.h>

#include <QtTest>
#include <cmath>
#include <vector>

#include "kd/divergences.h"
#include "reference_distributions.h"

using namespace distill;

namespace {

using byhand::kl;
using byhand::Row;
using byhand::softmax;

Row mix(const Row& a, const Row& b, double w) {
  Row m(a.size());
  for (size_t i = 0; i < a.size(); ++i) m[i] = w * a[i] + (1 - w) * b[i];
  return m;
}

/// ULD by brute force: each row sorted in decreasing order by repeatedly taking its largest
/// remaining value, the shorter padded with zeros, then Σ |difference|.
double sortedDistance(const Row& a, const Row& b) {
  auto decreasing = [](Row r, size_t width) {
    Row out;
    while (!r.empty()) {
      size_t best = 0;
      for (size_t i = 1; i < r.size(); ++i)
        if (r[i] > r[best]) best = i;
      out.push_back(r[best]);
      r.erase(r.begin() + static_cast<long>(best));
    }
    out.resize(width, 0.0);
    return out;
  };
  const size_t width = std::max(a.size(), b.size());
  const Row sa = decreasing(a, width), sb = decreasing(b, width);
  double d = 0.0;
  for (size_t i = 0; i < width; ++i) d += std::abs(sa[i] - sb[i]);
  return d;
}

/// The reference: the definitions of the issue, on probabilities, in doubles.
double reference(const QString& loss, const Row& zs, const Row& zt, double T, double beta, double skew) {
  const Row ps = softmax(zs, T), pt = softmax(zt, T);
  if (loss == "kl") return kl(pt, ps) * T * T;
  if (loss == "reverse_kl") return kl(ps, pt) * T * T;
  if (loss == "jsd") {
    if (beta == 0) return kl(pt, ps) * T * T;
    if (beta == 1) return kl(ps, pt) * T * T;
    const Row m = mix(pt, ps, beta);
    return (beta * kl(pt, m) + (1 - beta) * kl(ps, m)) * T * T;
  }
  if (loss == "skew_kl") return kl(pt, mix(pt, ps, skew)) * T * T;
  if (loss == "skew_reverse_kl") return kl(ps, mix(ps, pt, skew)) * T * T;
  if (loss == "tvd") {
    double d = 0.0;
    for (size_t i = 0; i < ps.size(); ++i) d += std::abs(pt[i] - ps[i]);
    return d / 2;
  }
  if (loss == "uld") return sortedDistance(ps, pt);
  double d = 0.0;  // mse
  for (size_t i = 0; i < zs.size(); ++i) d += (zs[i] - zt[i]) * (zs[i] - zt[i]);
  return d / zs.size();
}

torch::Tensor rows(const std::vector<Row>& r) {
  std::vector<double> flat;
  for (const auto& x : r) flat.insert(flat.end(), x.begin(), x.end());
  return torch::tensor(flat, torch::kFloat64).reshape({static_cast<long>(r.size()), -1});
}

const std::vector<Row> kStudent = {{1.0, 2.0, 0.5, -0.3}, {-1.0, 0.0, 3.0, 0.2}, {0.0, 0.0, 0.0, 0.0}};
const std::vector<Row> kTeacher = {{0.2, 2.5, 1.0, -1.0}, {2.0, -0.5, 1.0, 0.0}, {5.0, -2.0, 0.0, 1.0}};

}  // namespace

class TestDivergences : public QObject {
  Q_OBJECT
private slots:
  void matchReference_data() {
    QTest::addColumn<QString>("loss");
    QTest::addColumn<double>("temperature");
    QTest::addColumn<double>("beta");
    QTest::addColumn<double>("skew");
    for (const char* loss : {"kl", "reverse_kl", "jsd", "skew_kl", "skew_reverse_kl", "tvd", "mse", "uld"})
      for (double T : {1.0, 2.5})
        QTest::newRow(qPrintable(QString("%1 T=%2").arg(loss).arg(T))) << QString(loss) << T << 0.3 << 0.1;
    QTest::newRow("jsd beta=0 is forward kl") << "jsd" << 2.0 << 0.0 << 0.1;
    QTest::newRow("jsd beta=1 is reverse kl") << "jsd" << 2.0 << 1.0 << 0.1;
    QTest::newRow("jsd beta=0.9") << "jsd" << 1.0 << 0.9 << 0.1;
    QTest::newRow("skew_kl alpha=0.5") << "skew_kl" << 1.0 << 0.5 << 0.5;
    QTest::newRow("skew_reverse_kl alpha=0.5") << "skew_reverse_kl" << 1.0 << 0.5 << 0.5;
  }
  void matchReference() {
    QFETCH(QString, loss);
    QFETCH(double, temperature);
    QFETCH(double, beta);
    QFETCH(double, skew);
    DivergenceOptions o;
    QVERIFY(enumFromName<DistillLoss>(loss.toStdString()));
    o.kind = *enumFromName<DistillLoss>(loss.toStdString());
    o.temperature = temperature;
    o.beta = beta;
    o.skew = skew;
    const auto got = perTokenDivergence(rows(kStudent), rows(kTeacher), o);
    double maxDiff = 0.0;
    for (size_t i = 0; i < kStudent.size(); ++i)
      maxDiff =
          std::max(maxDiff, std::abs(got[static_cast<long>(i)].item<double>() -
                                     reference(loss, kStudent[i], kTeacher[i], temperature, beta, skew)));
    QVERIFY2(maxDiff < 1e-12, qPrintable(QString("max abs diff %1").arg(maxDiff)));
  }

  void gradientsMatchFiniteDifferences_data() {
    QTest::addColumn<QString>("loss");
    QTest::addColumn<double>("beta");
    QTest::newRow("forward kl") << "kl" << 0.5;
    QTest::newRow("jsd 0.3") << "jsd" << 0.3;
    QTest::newRow("jsd 0.7") << "jsd" << 0.7;
  }
  void gradientsMatchFiniteDifferences() {
    QFETCH(QString, loss);
    QFETCH(double, beta);
    DivergenceOptions o;
    o.kind = *enumFromName<DistillLoss>(loss.toStdString());
    o.temperature = 2.0;
    o.beta = beta;
    auto student = rows(kStudent).requires_grad_();
    const auto teacher = rows(kTeacher);
    perTokenDivergence(student, teacher, o).sum().backward();
    // Central differences on the reference implementation: independent of autograd.
    double maxDiff = 0.0;
    const double h = 1e-6;
    for (size_t r = 0; r < kStudent.size(); ++r) {
      for (size_t v = 0; v < kStudent[r].size(); ++v) {
        Row up = kStudent[r], down = kStudent[r];
        up[v] += h;
        down[v] -= h;
        const double numeric = (reference(loss, up, kTeacher[r], 2.0, beta, 0.1) -
                                reference(loss, down, kTeacher[r], 2.0, beta, 0.1)) /
                               (2 * h);
        maxDiff = std::max(
            maxDiff,
            std::abs(numeric - student.grad()[static_cast<long>(r)][static_cast<long>(v)].item<double>()));
      }
    }
    QVERIFY2(maxDiff < 1e-7, qPrintable(QString("max abs diff %1").arg(maxDiff)));
  }

  void fullyMaskedRowsGiveZeroNotNan() {
    const auto values = torch::tensor({1.0, 2.0, 3.0});
    QCOMPARE(maskedMean(values, torch::tensor({false, false, false})).item<double>(), 0.0);
    QCOMPARE(maskedMean(values, torch::tensor({true, false, true})).item<double>(), 2.0);
    QCOMPARE(maskedMean(values, torch::Tensor()).item<double>(), 2.0);
  }

  void oneHotTeachersAndVeryNegativeLogitsStayFinite_data() {
    QTest::addColumn<QString>("loss");
    for (const char* loss : {"kl", "reverse_kl", "jsd", "skew_kl", "skew_reverse_kl", "tvd", "mse", "uld"})
      QTest::newRow(loss) << QString(loss);
  }
  void oneHotTeachersAndVeryNegativeLogitsStayFinite() {
    QFETCH(QString, loss);
    DivergenceOptions o;
    o.kind = *enumFromName<DistillLoss>(loss.toStdString());
    o.temperature = 2.0;
    // A one-hot teacher (the others at -1e9) and a student whose logits span 1e4.
    auto teacher = torch::tensor({0.0f, -1e9f, -1e9f, -1e9f}).reshape({1, 4});
    auto student = torch::tensor({-1e4f, 0.0f, 5.0f, -3.0f}).reshape({1, 4}).requires_grad_();
    auto value = perTokenDivergence(student, teacher, o).sum();
    value.backward();
    QVERIFY2(std::isfinite(value.item<double>()), qPrintable(QString::number(value.item<double>())));
    QVERIFY(torch::isfinite(student.grad()).all().item<bool>());
  }

  void uldComparesSortedMassesAcrossVocabularies() {
    // By hand: student (0.5, 0.3, 0.2) over 3 tokens, teacher (0.1, 0.7, 0.1, 0.1) over 4. Sorted
    // and padded: (0.5, 0.3, 0.2, 0) against (0.7, 0.1, 0.1, 0.1): 0.2 + 0.2 + 0.1 + 0.1 = 0.6.
    DivergenceOptions o;
    o.kind = DistillLoss::Uld;
    const auto student = torch::log(torch::tensor({0.5, 0.3, 0.2}, torch::kFloat64)).reshape({1, 3});
    const auto teacher = torch::log(torch::tensor({0.1, 0.7, 0.1, 0.1}, torch::kFloat64)).reshape({1, 4});
    QVERIFY(std::abs(perTokenDivergence(student, teacher, o).item<double>() - 0.6) < 1e-12);
    // Only the sorted masses count: permuting the teacher's vocabulary changes nothing, and a
    // student with the teacher's masses in another order is at distance 0.
    const auto permuted = teacher.index_select(1, torch::tensor({3, 0, 2, 1}, torch::kInt64));
    QVERIFY(std::abs(perTokenDivergence(student, permuted, o).item<double>() - 0.6) < 1e-12);
    const auto same = torch::log(torch::tensor({0.1, 0.1, 0.1, 0.7}, torch::kFloat64)).reshape({1, 4});
    QVERIFY(std::abs(perTokenDivergence(same, teacher, o).item<double>()) < 1e-12);
    // Wider teacher than student and the other way round, random rows, against the brute force.
    torch::manual_seed(3);
    for (auto [vs, vt] : {std::pair<long, long>{5, 9}, {9, 5}}) {
      const auto zs = torch::randn({4, vs}, torch::kFloat64) * 2,
                 zt = torch::randn({4, vt}, torch::kFloat64) * 2;
      o.temperature = 1.5;
      const auto got = perTokenDivergence(zs, zt, o);
      for (long r = 0; r < 4; ++r) {
        Row a(static_cast<size_t>(vs)), b(static_cast<size_t>(vt));
        for (long i = 0; i < vs; ++i) a[static_cast<size_t>(i)] = zs[r][i].item<double>();
        for (long i = 0; i < vt; ++i) b[static_cast<size_t>(i)] = zt[r][i].item<double>();
        const double expected = sortedDistance(softmax(a, 1.5), softmax(b, 1.5));
        QVERIFY2(std::abs(got[r].item<double>() - expected) < 1e-12,
                 qPrintable(QString("%1 vs %2").arg(got[r].item<double>()).arg(expected)));
      }
    }
  }

  void unknownNameIsRejected() { QVERIFY(!enumFromName<DistillLoss>("kld")); }
};

QTEST_APPLESS_MAIN(TestDivergences)
#include "tst_divergences.moc"
