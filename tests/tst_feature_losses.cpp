// Feature distillation: layer pairing, hidden-state and attention-map losses against values
// computed element by element, and the transformer's recorded trace.
#include <torch/torch.h>

#include <QtTest>
#include <cmath>

#include "kd/feature_distillation.h"
#include "model_specs.h"
#include "models/model_factory.h"

using namespace distill;

namespace {

/// Head-averaged KL(teacher ‖ student) per query row, by loops in double precision.
double attentionKlByHand(const torch::Tensor& student, const torch::Tensor& teacher) {
  const auto s = student.to(torch::kFloat64), t = teacher.to(torch::kFloat64);
  const int64_t B = s.size(0), Hs = s.size(1), Ht = t.size(1), T = s.size(2);
  double total = 0.0;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t q = 0; q < T; ++q) {
      for (int64_t k = 0; k < T; ++k) {
        double ps = 0.0, pt = 0.0;
        for (int64_t h = 0; h < Hs; ++h) ps += s[b][h][q][k].item<double>() / Hs;
        for (int64_t h = 0; h < Ht; ++h) pt += t[b][h][q][k].item<double>() / Ht;
        if (pt > 0.0) total += pt * std::log(pt / ps);
      }
    }
  }
  return total / static_cast<double>(B * T);
}

/// Causal attention rows from random scores: zero above the diagonal, each row sums to 1.
torch::Tensor causalAttention(int64_t B, int64_t H, int64_t T, double sharpness) {
  auto scores = torch::randn({B, H, T, T}, torch::kFloat64) * sharpness;
  auto mask = torch::ones({T, T}, torch::kBool).triu(1);
  return torch::softmax(scores.masked_fill(mask, -INFINITY), -1);
}

}  // namespace

class TestFeatureLosses : public QObject {
  Q_OBJECT
private slots:
  void uniformLayerMapPairsLastLayers() {
    QCOMPARE(resolveLayerMap({}, 2, 4), (std::vector<int>{2, 4}));
    QCOMPARE(resolveLayerMap({}, 3, 6), (std::vector<int>{2, 4, 6}));
    QCOMPARE(resolveLayerMap({}, 4, 4), (std::vector<int>{1, 2, 3, 4}));
    QCOMPARE(resolveLayerMap({}, 3, 2), (std::vector<int>{1, 1, 2}));
    QCOMPARE(resolveLayerMap({1, 3}, 2, 4), (std::vector<int>{1, 3}));
  }

  void hiddenMseAndCosineMatchElementwise() {
    torch::manual_seed(1);
    const auto s = torch::randn({2, 3, 4}, torch::kFloat64), t = torch::randn({2, 3, 4}, torch::kFloat64);
    double mse = 0.0, cosine = 0.0;
    for (int b = 0; b < 2; ++b) {
      for (int p = 0; p < 3; ++p) {
        double dot = 0.0, ns = 0.0, nt = 0.0;
        for (int c = 0; c < 4; ++c) {
          const double x = s[b][p][c].item<double>(), y = t[b][p][c].item<double>();
          mse += (x - y) * (x - y) / 24.0;
          dot += x * y;
          ns += x * x;
          nt += y * y;
        }
        cosine += (1.0 - dot / std::sqrt(ns * nt)) / 6.0;
      }
    }
    QVERIFY(std::abs(hiddenStateLoss(s, t, HiddenLoss::Mse).item<double>() - mse) < 1e-12);
    QVERIFY(std::abs(hiddenStateLoss(s, t, HiddenLoss::Cosine).item<double>() - cosine) < 1e-12);
    QVERIFY(std::abs(hiddenStateLoss(s, 3.0 * s, HiddenLoss::Cosine).item<double>()) < 1e-12);
  }

  void attentionKlMatchesLoopsWithDifferentHeadCounts() {
    torch::manual_seed(2);
    const auto student = causalAttention(2, 2, 5, 1.0), teacher = causalAttention(2, 4, 5, 3.0);
    const double got = attentionMapKl(student, teacher).item<double>();
    const double expected = attentionKlByHand(student, teacher);
    QVERIFY2(std::abs(got - expected) < 1e-10, qPrintable(QString("%1 vs %2").arg(got).arg(expected)));
    QVERIFY(std::abs(attentionMapKl(teacher, teacher).item<double>()) < 1e-12);
  }

  void maskedFeatureLossesCountTheMarkedPositionsAlone() {
    // Prompt/response data: only the positions whose target is a response token count.
    torch::manual_seed(4);
    const auto s = torch::randn({2, 3, 4}, torch::kFloat64), t = torch::randn({2, 3, 4}, torch::kFloat64);
    auto mask = torch::zeros({2, 3}, torch::kBool);
    mask[0][0] = true;
    mask[1][2] = true;
    const auto pick = [](const torch::Tensor& x) { return torch::stack({x[0][0], x[1][2]}).unsqueeze(0); };
    for (auto kind : {HiddenLoss::Mse, HiddenLoss::Cosine}) {
      const double masked = hiddenStateLoss(s, t, kind, mask).item<double>();
      const double alone = hiddenStateLoss(pick(s), pick(t), kind).item<double>();
      QVERIFY2(std::abs(masked - alone) < 1e-12, qPrintable(QString("%1 vs %2").arg(masked).arg(alone)));
      QVERIFY(std::abs(masked - hiddenStateLoss(s, t, kind).item<double>()) > 1e-6);  // the mask matters
    }
    const auto student = causalAttention(2, 2, 5, 1.0), teacher = causalAttention(2, 4, 5, 3.0);
    auto firstRow = torch::zeros({2, 5}, torch::kBool);
    firstRow[0].fill_(true);  // every query of the first sequence, none of the second
    const double masked = attentionMapKl(student, teacher, firstRow).item<double>();
    const double alone = attentionMapKl(student.slice(0, 0, 1), teacher.slice(0, 0, 1)).item<double>();
    QVERIFY2(std::abs(masked - alone) < 1e-12, qPrintable(QString("%1 vs %2").arg(masked).arg(alone)));
  }

  void attentionKlHasFiniteGradientsOnCausalZeros() {
    // Float32 like training, with a one-hot teacher row and masked (exactly 0) student weights.
    auto scores = torch::randn({1, 2, 4, 4}).requires_grad_();
    auto student =
        torch::softmax(scores.masked_fill(torch::ones({4, 4}, torch::kBool).triu(1), -INFINITY), -1);
    auto teacher = torch::zeros({1, 1, 4, 4});
    for (int q = 0; q < 4; ++q) teacher[0][0][q][0] = 1.0;
    auto loss = attentionMapKl(student, teacher);
    loss.backward();
    QVERIFY(std::isfinite(loss.item<double>()));
    QVERIFY(torch::isfinite(scores.grad()).all().item<bool>());
  }

  void transformerTraceMatchesForward() {
    torch::manual_seed(3);
    auto model = makeModel(smallSpec("transformer"), 11, 8);
    model->eval();
    auto ids = torch::randint(0, 11, {2, 6}, torch::kInt64);
    ForwardTrace trace;
    const auto traced = model->forwardWithTrace(ids, trace);
    QVERIFY(torch::allclose(traced, model->forward(ids)));
    QCOMPARE(trace.hidden.size(), size_t(3));  // embeddings + 2 layers
    QCOMPARE(trace.attention.size(), size_t(2));
    QCOMPARE(trace.hidden[2].sizes(), torch::IntArrayRef({2, 6, 16}));
    const auto& att = trace.attention[1];
    QCOMPARE(att.sizes(), torch::IntArrayRef({2, 2, 6, 6}));
    QVERIFY(torch::allclose(att.sum(-1), torch::ones({2, 2, 6})));
    QCOMPARE(att.triu(1).abs().max().item<float>(), 0.0f);  // causal
  }

  void recurrentModelsRefuseATrace() {
    auto model = makeModel(smallSpec("gru"), 11, 8);
    ForwardTrace trace;
    QVERIFY_EXCEPTION_THROWN(model->forwardWithTrace(torch::zeros({1, 3}, torch::kInt64), trace), c10::Error);
  }

  void projectedHiddenLossTrainsTheProjection() {
    torch::manual_seed(4);
    auto studentModel = makeModel(smallSpec("transformer"), 11, 8);  // 2 layers, width 16
    auto spec = smallSpec("transformer");
    spec.layers = 4;
    spec.embd = 24;
    auto teacherModel = makeModel(spec, 11, 8);
    auto ids = torch::randint(0, 11, {2, 6}, torch::kInt64);
    ForwardTrace student, teacher;
    studentModel->forwardWithTrace(ids, student);
    {
      torch::NoGradGuard noGrad;
      teacherModel->forwardWithTrace(ids, teacher);
    }
    FeatureProjector projector(2, 16, 24);
    const auto map = resolveLayerMap({}, 2, 4);
    auto terms = featureLosses(student, teacher, *projector, map, HiddenLoss::Mse, true);
    QVERIFY(terms.hidden.defined() && terms.attention.defined());
    // The hidden term is the mean over pairs (2→2, 4→4) of MSE(projected student, teacher).
    const double expected =
        (hiddenStateLoss(projector->forward(1, student.hidden[1]), teacher.hidden[2], HiddenLoss::Mse) +
         hiddenStateLoss(projector->forward(2, student.hidden[2]), teacher.hidden[4], HiddenLoss::Mse))
            .item<double>() /
        2.0;
    QVERIFY(std::abs(terms.hidden.item<double>() - expected) < 1e-6);
    (terms.hidden + terms.attention).backward();
    for (const auto& p : projector->parameters())
      QVERIFY(p.grad().defined() && p.grad().abs().sum().item<double>() > 0.0);
    for (const auto& p : studentModel->parameters())
      if (p.grad().defined()) QVERIFY(torch::isfinite(p.grad()).all().item<bool>());
  }
};

QTEST_APPLESS_MAIN(TestFeatureLosses)
#include "tst_feature_losses.moc"
