// How a distilled student's step combines its terms: alpha mix, masks, on-policy and
// label-only batches, against values computed by hand.
#include <torch/torch.h>

#include <QtTest>
#include <cmath>

#include "kd/divergences.h"
#include "kd/logit_cache.h"
#include "kd/student_loss.h"

using namespace distill;

namespace {

/// A "model" whose logits are a parameter: the loss terms can be checked on chosen numbers.
class FixedLogitsImpl : public LanguageModelImpl {
public:
  explicit FixedLogitsImpl(const torch::Tensor& logits) {
    m_logits = register_parameter("logits", logits.clone());
  }
  torch::Tensor forward(const torch::Tensor&) override { return m_logits; }
  std::unique_ptr<DecodeState> startDecoding() const override { return std::make_unique<DecodeState>(); }
  torch::Tensor decode(const torch::Tensor& ids, DecodeState&) override { return forward(ids); }
  int64_t contextLimit() const override { return 0; }
  const ModelSpec& spec() const override { return m_spec; }
  int64_t vocabSize() const override { return m_logits.size(-1); }

private:
  torch::Tensor m_logits;
  ModelSpec m_spec;
};

std::vector<double> softmax(const std::vector<double>& z, double T) {
  double sum = 0.0;
  std::vector<double> p(z.size());
  for (size_t i = 0; i < z.size(); ++i) sum += (p[i] = std::exp(z[i] / T));
  for (auto& v : p) v /= sum;
  return p;
}

double klByHand(const std::vector<double>& s, const std::vector<double>& t, double T) {
  const auto ps = softmax(s, T), pt = softmax(t, T);
  double kl = 0.0;
  for (size_t i = 0; i < s.size(); ++i) kl += pt[i] * std::log(pt[i] / ps[i]);
  return kl * T * T;
}

double ceByHand(const std::vector<double>& z, int target) { return -std::log(softmax(z, 1.0)[target]); }

const std::vector<std::vector<double>> kStudent = {{1.0, 2.0, 0.5}, {-1.0, 0.0, 3.0}};
const std::vector<std::vector<double>> kTeacher = {{0.2, 2.5, 1.0}, {2.0, -0.5, 1.0}};

torch::Tensor logits(const std::vector<std::vector<double>>& rows) {
  std::vector<double> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return torch::tensor(flat, torch::kFloat64).reshape({1, static_cast<long>(rows.size()), -1});
}

Batch batch() { return {torch::zeros({1, 2}, torch::kInt64), torch::tensor({1L, 2L}).reshape({1, 2}), {}}; }

/// The batch of prompt/response data whose first target is a prompt token (no loss) and whose
/// second is a response token.
Batch responseOnlyAtSecond() {
  auto b = batch();
  b.mask = torch::tensor({false, true}).reshape({1, 2});
  return b;
}

/// The gradient of `loss` with respect to the student's logits at positions 0 and 1 (summed abs).
std::pair<double, double> gradientAt(LanguageModelImpl& student, const torch::Tensor& loss) {
  student.zero_grad();
  loss.backward();
  const auto grad = student.parameters().front().grad();
  return {grad[0][0].abs().sum().item<double>(), grad[0][1].abs().sum().item<double>()};
}

DistillConfig klAt(double T, double alpha) {
  DistillConfig d;
  d.temperature = T;
  d.alpha = alpha;
  return d;
}

}  // namespace

class TestStudentLoss : public QObject {
  Q_OBJECT
private slots:
  void alphaMixesSoftAndHard() {
    FixedLogitsImpl student(logits(kStudent));
    SoftTargets targets;
    targets.teacherLogits = logits(kTeacher);
    const auto loss = studentLoss(student, batch(), targets, klAt(2.0, 0.3), nullptr);
    const double soft =
        (klByHand(kStudent[0], kTeacher[0], 2.0) + klByHand(kStudent[1], kTeacher[1], 2.0)) / 2.0;
    const double hard = (ceByHand(kStudent[0], 1) + ceByHand(kStudent[1], 2)) / 2.0;
    QVERIFY(std::abs(loss.terms.soft.item<double>() - soft) < 1e-12);
    QVERIFY(std::abs(loss.terms.hard.item<double>() - hard) < 1e-12);
    QVERIFY(std::abs(loss.total.item<double>() - (0.3 * soft + 0.7 * hard)) < 1e-12);
    QVERIFY(!loss.terms.hidden.defined() && !loss.terms.attention.defined());
  }

  // An ensemble's targets: the per_teacher term is Σ wᵢ KL(teacher i), and distill.teacher picks
  // one member by its name (the loss is that teacher's alone).
  void ensembleTargetsWeighTheirMembersOrPickOne() {
    FixedLogitsImpl student(logits(kStudent));
    const std::vector<std::vector<double>> other = {{1.5, -1.0, 0.0}, {0.3, 0.3, 2.0}};
    SoftTargets targets;
    targets.teacherLogits = torch::stack({logits(kTeacher), logits(other)});
    targets.memberWeights = {0.4, 0.6};
    targets.memberNames = {"a", "b"};
    auto d = klAt(2.0, 1.0);
    d.ensemble = Ensemble::PerTeacher;
    const auto perTeacher = studentLoss(student, batch(), targets, d, nullptr);
    double expected = 0.0;
    for (size_t r = 0; r < 2; ++r)
      expected +=
          (0.4 * klByHand(kStudent[r], kTeacher[r], 2.0) + 0.6 * klByHand(kStudent[r], other[r], 2.0)) / 2;
    QVERIFY(std::abs(perTeacher.terms.soft.item<double>() - expected) < 1e-12);
    d.teacher = "b";
    const auto onlyB = studentLoss(student, batch(), targets, d, nullptr);
    const double b = (klByHand(kStudent[0], other[0], 2.0) + klByHand(kStudent[1], other[1], 2.0)) / 2.0;
    QVERIFY(std::abs(onlyB.terms.soft.item<double>() - b) < 1e-12);
  }

  void maskKeepsOnlyChosenPositionsInTheSoftTerm() {
    FixedLogitsImpl student(logits(kStudent));
    SoftTargets targets;
    targets.teacherLogits = logits(kTeacher);
    targets.positionMask = torch::tensor({false, true}).reshape({1, 2});
    const auto loss = studentLoss(student, batch(), targets, klAt(1.0, 0.5), nullptr);
    QVERIFY(std::abs(loss.terms.soft.item<double>() - klByHand(kStudent[1], kTeacher[1], 1.0)) < 1e-12);
  }

  void onPolicyBatchesTrainOnTheSoftTermAlone() {
    FixedLogitsImpl student(logits(kStudent));
    SoftTargets targets;
    targets.teacherLogits = logits(kTeacher);
    targets.hardLabels = false;
    const auto loss = studentLoss(student, batch(), targets, klAt(1.0, 0.5), nullptr);
    QVERIFY(!loss.terms.hard.defined());
    QVERIFY(std::abs(loss.total.item<double>() - loss.terms.soft.item<double>()) < 1e-15);
  }

  void withoutTeacherLogitsTheLabelsAloneTrain() {
    // Sequence-level KD with alpha 0: cross-entropy on the teacher's tokens, no teacher pass.
    FixedLogitsImpl student(logits(kStudent));
    const auto loss = studentLoss(student, batch(), SoftTargets{}, klAt(1.0, 0.0), nullptr);
    QVERIFY(!loss.terms.soft.defined());
    const double hard = (ceByHand(kStudent[0], 1) + ceByHand(kStudent[1], 2)) / 2.0;
    QVERIFY(std::abs(loss.total.item<double>() - hard) < 1e-12);
  }

  void promptTokensCarryNoLossInAnyTerm_data() {
    QTest::addColumn<QString>("loss");
    for (const auto& name : enumNames<DistillLoss>())
      QTest::newRow(name.c_str()) << QString::fromStdString(name);
  }
  void promptTokensCarryNoLossInAnyTerm() {
    QFETCH(QString, loss);
    FixedLogitsImpl student(logits(kStudent));
    SoftTargets targets;
    targets.teacherLogits = logits(kTeacher);
    auto d = klAt(2.0, 0.5);
    d.loss = *enumFromName<DistillLoss>(loss.toStdString());
    const auto masked = studentLoss(student, responseOnlyAtSecond(), targets, d, nullptr);
    // Each term is its value at the response position alone ...
    QVERIFY(std::abs(masked.terms.hard.item<double>() - ceByHand(kStudent[1], 2)) < 1e-12);
    DivergenceOptions options;
    options.kind = d.loss;
    options.temperature = d.temperature;
    options.beta = d.beta;
    options.skew = d.skew;
    const double softAtSecond = perTokenDivergence(logits({kStudent[1]}).reshape({1, 3}),
                                                   logits({kTeacher[1]}).reshape({1, 3}), options)
                                    .item<double>();
    QVERIFY(std::abs(masked.terms.soft.item<double>() - softAtSecond) < 1e-12);
    // ... and the prompt position gets no gradient from the whole objective.
    const auto [atPrompt, atResponse] = gradientAt(student, masked.total);
    QCOMPARE(atPrompt, 0.0);
    QVERIFY(atResponse > 0.0);
  }

  void promptTokensCarryNoLossFromTheLogitCache() {
    FixedLogitsImpl student(logits(kStudent));
    SoftTargets targets;
    targets.cachedIds = torch::tensor({1L, 0L, 0L, 2L}).reshape({1, 2, 2});
    targets.cachedLogProbs =
        torch::log(torch::tensor({0.6, 0.3, 0.7, 0.2}, torch::kFloat64)).reshape({1, 2, 2});
    const auto d = klAt(1.0, 0.5);
    const auto masked = studentLoss(student, responseOnlyAtSecond(), targets, d, nullptr);
    SoftTargets second;
    second.cachedIds = targets.cachedIds.slice(1, 1, 2);
    second.cachedLogProbs = targets.cachedLogProbs.slice(1, 1, 2);
    const double alone =
        sparseForwardKl(logits({kStudent[1]}), second.cachedIds, second.cachedLogProbs, 1.0).item<double>();
    QVERIFY(std::abs(masked.terms.soft.item<double>() - alone) < 1e-12);
    QCOMPARE(gradientAt(student, masked.total).first, 0.0);
  }

  void responseMaskAndPositionMaskBothApply() {
    FixedLogitsImpl student(logits(kStudent));
    SoftTargets targets;
    targets.teacherLogits = logits(kTeacher);
    targets.positionMask = torch::tensor({true, false}).reshape({1, 2});
    const auto loss = studentLoss(student, responseOnlyAtSecond(), targets, klAt(1.0, 0.5), nullptr);
    QCOMPARE(loss.terms.soft.item<double>(), 0.0);  // no position is in both
  }

  void fullyMaskedOnPolicyBatchGivesZeroNotNan() {
    FixedLogitsImpl student(logits(kStudent));
    SoftTargets targets;
    targets.teacherLogits = logits(kTeacher);
    targets.hardLabels = false;
    targets.positionMask = torch::zeros({1, 2}, torch::kBool);
    const auto loss = studentLoss(student, batch(), targets, klAt(2.0, 0.5), nullptr);
    QCOMPARE(loss.total.item<double>(), 0.0);
  }
};

QTEST_APPLESS_MAIN(TestStudentLoss)
#include "tst_student_loss.moc"
