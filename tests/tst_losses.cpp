// Distillation losses against values computed by hand.
#include <torch/torch.h>

#include <QtTest>
#include <cmath>

#include "kd/losses.h"

using namespace distill;

namespace {

double klByHand(const std::vector<double>& s, const std::vector<double>& t, double T) {
  auto softmax = [T](const std::vector<double>& z) {
    double m = *std::max_element(z.begin(), z.end()), sum = 0.0;
    std::vector<double> p(z.size());
    for (size_t i = 0; i < z.size(); ++i) sum += (p[i] = std::exp((z[i] - m) / T));
    for (auto& v : p) v /= sum;
    return p;
  };
  const auto ps = softmax(s), pt = softmax(t);
  double kl = 0.0;
  for (size_t i = 0; i < s.size(); ++i) kl += pt[i] * std::log(pt[i] / ps[i]);
  return kl;
}

torch::Tensor logits(const std::vector<std::vector<double>>& rows) {
  std::vector<double> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return torch::tensor(flat, torch::kFloat64).reshape({1, static_cast<long>(rows.size()), -1});
}

}  // namespace

class TestLosses : public QObject {
  Q_OBJECT
private slots:
  void forwardKlMatchesHandComputed_data() {
    QTest::addColumn<double>("temperature");
    QTest::newRow("T=1") << 1.0;
    QTest::newRow("T=2") << 2.0;
    QTest::newRow("T=0.5") << 0.5;
  }
  void forwardKlMatchesHandComputed() {
    QFETCH(double, temperature);
    const std::vector<std::vector<double>> s = {{1.0, 2.0, 0.5}, {-1.0, 0.0, 3.0}};
    const std::vector<std::vector<double>> t = {{0.2, 2.5, 1.0}, {2.0, -0.5, 1.0}};
    // Mean over the two tokens, times T².
    const double expected = (klByHand(s[0], t[0], temperature) + klByHand(s[1], t[1], temperature)) / 2.0 *
                            temperature * temperature;
    const double got = forwardKl(logits(s), logits(t), temperature).item<double>();
    QVERIFY2(std::abs(got - expected) < 1e-12,
             qPrintable(QString("got %1 expected %2").arg(got).arg(expected)));
  }

  void forwardKlIsZeroForIdenticalDistributions() {
    auto z = torch::randn({2, 3, 7}, torch::kFloat64);
    QVERIFY(std::abs(forwardKl(z, z, 2.0).item<double>()) < 1e-12);
  }

  void forwardKlHasNoNanForOneHotAndVeryNegativeLogits() {
    auto teacher = torch::tensor({0.0, -1e9, -1e9}, torch::kFloat32).reshape({1, 1, 3});
    auto student = torch::tensor({-1e4, 0.0, 0.0}, torch::kFloat32).reshape({1, 1, 3}).requires_grad_();
    auto loss = forwardKl(student, teacher, 1.0);
    loss.backward();
    QVERIFY(std::isfinite(loss.item<double>()));
    QVERIFY(torch::isfinite(student.grad()).all().item<bool>());
  }

  void forwardKlGradientMatchesAnalytic() {
    // d/ds KL(pt||ps) at temperature T, times T², is T * (ps - pt) per token (then / N tokens).
    const double T = 2.0;
    auto s = torch::tensor({0.3, -1.2, 2.0, 0.1}, torch::kFloat64).reshape({1, 1, 4}).requires_grad_();
    auto t = torch::tensor({1.0, 0.0, -0.5, 0.7}, torch::kFloat64).reshape({1, 1, 4});
    forwardKl(s, t, T).backward();
    auto expected = T * (torch::softmax(s.detach() / T, -1) - torch::softmax(t / T, -1));
    const double maxDiff = (s.grad() - expected).abs().max().item<double>();
    QVERIFY2(maxDiff < 1e-12, qPrintable(QString("max diff %1").arg(maxDiff)));
  }
};

QTEST_APPLESS_MAIN(TestLosses)
#include "tst_losses.moc"
