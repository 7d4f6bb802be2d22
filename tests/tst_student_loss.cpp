// How a distilled student's step combines its terms: alpha mix, masks, on-policy and
// label-only batches, against values computed by hand.
#include <torch/torch.h>

#include <QtTest>
#include <cmath>

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

Batch batch() { return {torch::zeros({1, 2}, torch::kInt64), torch::tensor({1L, 2L}).reshape({1, 2})}; }

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
