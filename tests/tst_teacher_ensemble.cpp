// Ensembles of teachers (`teachers:`): the combined targets against a reference written out in
// double precision, an ensemble of identical teachers against the single teacher, members trained
// in turn (and resumed in the second), and each student measured against each member.
#include <torch/torch.h>

#include <QtTest>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "distill/experiment.h"
#include "kd/teacher_ensemble.h"
#include "reference_distributions.h"

using namespace distill;

namespace {

using byhand::kl;
using byhand::Row;
using byhand::softmax;

Row rowOf(const torch::Tensor& t) {
  const auto c = t.to(torch::kFloat64).contiguous();
  return Row(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

torch::Tensor tensorOf(const std::vector<Row>& rows) {
  std::vector<double> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return torch::tensor(flat, torch::kFloat64).reshape({static_cast<int64_t>(rows.size()), -1});
}

const std::vector<Row> kTeacherA = {{2.0, 0.5, -1.0, 0.0}, {0.1, 0.2, 3.0, -2.0}};
const std::vector<Row> kTeacherB = {{-1.0, 1.5, 0.0, 0.3}, {1.0, 1.0, -0.5, 2.5}};
const std::vector<Row> kStudent = {{0.3, 0.1, 0.2, -0.4}, {-0.2, 0.6, 0.9, 0.0}};
const std::vector<double> kWeights = {0.25, 0.75};

std::string runExperimentText(const std::string& yaml, const std::string& dir) {
  auto loaded = parseExperiment(yaml, ".");
  if (!loaded.ok()) return "invalid: " + loaded.problems.front().key + ": " + loaded.problems.front().message;
  RunControl control;
  RunObserver quiet;
  RunOptions options;
  options.outDir = dir;
  options.measureSpeed = false;
  const auto result = runExperiment(loaded.config, options, quiet, control);
  return result.status == RunResult::Status::Completed ? std::string() : result.error;
}

nlohmann::json summaryOf(const std::string& dir) {
  std::ifstream in(dir + "/summary.json");
  return nlohmann::json::parse(in);
}

const char* kShape = R"(
data: {block_size: 16}
train: {steps: 30, student_steps: 20, batch_size: 4, lr: 0.01, warmup_steps: 3, eval_interval: 10,
        eval_batches: 2, threads: 1}
generate: {prompts: ["ROMEO:"], max_new_tokens: 4}
)";

/// Cancels the run once `model` reports step `step`.
class StopModelAt : public RunObserver {
public:
  StopModelAt(RunControl& control, std::string model, int step)
      : m_control(control), m_model(std::move(model)), m_step(step) {}
  void onProgress(const ProgressInfo& p) override {
    for (const auto& point : p.latest)
      if (point.model == m_model && p.step == m_step) m_control.cancel();
  }

private:
  RunControl& m_control;
  std::string m_model;
  int m_step;
};

}  // namespace

class TestTeacherEnsemble : public QObject {
  Q_OBJECT
private slots:
  // mean_prob: softmax(combined / T) is Σ wᵢ softmax(zᵢ / T), at the temperature asked for.
  void meanProbIsTheWeightedMeanOfTheSoftenedDistributions() {
    const auto members = torch::stack({tensorOf(kTeacherA), tensorOf(kTeacherB)});
    for (double T : {1.0, 2.0, 0.5}) {
      const auto combined = combinedTeacherLogits(members, kWeights, Ensemble::MeanProb, T);
      for (size_t r = 0; r < kTeacherA.size(); ++r) {
        const Row got = softmax(rowOf(combined[static_cast<int64_t>(r)]), T);
        const Row pa = softmax(kTeacherA[r], T), pb = softmax(kTeacherB[r], T);
        for (size_t i = 0; i < got.size(); ++i)
          QVERIFY2(std::abs(got[i] - (0.25 * pa[i] + 0.75 * pb[i])) < 1e-6,
                   qPrintable(QString("T %1 row %2 token %3").arg(T).arg(r).arg(i)));
      }
    }
  }

  void meanLogitIsTheWeightedMeanOfTheLogits() {
    const auto members = torch::stack({tensorOf(kTeacherA), tensorOf(kTeacherB)});
    const auto combined = combinedTeacherLogits(members, kWeights, Ensemble::MeanLogit, 2.0);
    for (size_t r = 0; r < kTeacherA.size(); ++r) {
      const Row got = rowOf(combined[static_cast<int64_t>(r)]);
      for (size_t i = 0; i < got.size(); ++i)
        QVERIFY(std::abs(got[i] - (0.25 * kTeacherA[r][i] + 0.75 * kTeacherB[r][i])) < 1e-12);
    }
  }

  // The soft term of each mode against KL × T² written out by hand.
  void ensembleDivergenceMatchesTheReference() {
    const auto members = torch::stack({tensorOf(kTeacherA), tensorOf(kTeacherB)});
    const auto student = tensorOf(kStudent);
    const double T = 2.0;
    DivergenceOptions options;
    options.kind = DistillLoss::Kl;
    options.temperature = T;
    const auto meanProb = ensembleDivergence(student, members, kWeights, Ensemble::MeanProb, options);
    const auto perTeacher = ensembleDivergence(student, members, kWeights, Ensemble::PerTeacher, options);
    for (size_t r = 0; r < kStudent.size(); ++r) {
      const Row ps = softmax(kStudent[r], T), pa = softmax(kTeacherA[r], T), pb = softmax(kTeacherB[r], T);
      Row mean(ps.size());
      for (size_t i = 0; i < ps.size(); ++i) mean[i] = 0.25 * pa[i] + 0.75 * pb[i];
      const auto row = static_cast<int64_t>(r);
      QVERIFY(std::abs(meanProb[row].item<double>() - T * T * kl(mean, ps)) < 1e-6);
      QVERIFY(std::abs(perTeacher[row].item<double>() - T * T * (0.25 * kl(pa, ps) + 0.75 * kl(pb, ps))) <
              1e-9);
    }
  }

  // Forward KL is linear in its target, up to the target's entropy: one KL term per teacher has
  // the gradient of one KL from the mean distribution (the values differ by that constant), so
  // per_teacher and mean_prob train a student identically under loss kl — and differently under
  // reverse KL.
  void perTeacherKlHasTheGradientOfMeanProb() {
    const auto members = torch::stack({tensorOf(kTeacherA), tensorOf(kTeacherB)});
    auto gradientOf = [&](Ensemble mode, DistillLoss kind) {
      auto student = tensorOf(kStudent).requires_grad_(true);
      DivergenceOptions options;
      options.kind = kind;
      options.temperature = 2.0;
      ensembleDivergence(student, members, kWeights, mode, options).sum().backward();
      return student.grad();
    };
    QVERIFY(torch::allclose(gradientOf(Ensemble::PerTeacher, DistillLoss::Kl),
                            gradientOf(Ensemble::MeanProb, DistillLoss::Kl), 1e-9, 1e-12));
    QVERIFY(!torch::allclose(gradientOf(Ensemble::PerTeacher, DistillLoss::ReverseKl),
                             gradientOf(Ensemble::MeanProb, DistillLoss::ReverseKl), 1e-3, 1e-6));
  }

  // An ensemble of identical teachers is that teacher, in every mode and for every divergence.
  void identicalMembersAreTheSingleTeacher() {
    const auto teacher = tensorOf(kTeacherA);
    const auto members = torch::stack({teacher, teacher, teacher});
    const auto student = tensorOf(kStudent);
    for (auto kind : {DistillLoss::Kl, DistillLoss::Jsd, DistillLoss::Tvd, DistillLoss::ReverseKl}) {
      DivergenceOptions options;
      options.kind = kind;
      options.temperature = 1.5;
      const auto single = perTokenDivergence(student, teacher, options);
      for (auto mode : {Ensemble::MeanProb, Ensemble::MeanLogit, Ensemble::PerTeacher}) {
        const auto got = ensembleDivergence(student, members, {0.2, 0.5, 0.3}, mode, options);
        QVERIFY2(torch::allclose(got, single, 1e-9, 1e-9), nameOf(mode));
      }
    }
  }

  // Two members loaded from one checkpoint: the student learns exactly what it learns from that
  // teacher alone, and agrees with each member as with the ensemble.
  void anEnsembleOfIdenticalTeachersEqualsTheSingleTeacher() {
    QTemporaryDir dir;
    const std::string root = dir.path().toStdString();
    QCOMPARE(
        runExperimentText(std::string("teacher: {layers: 1, heads: 2, embd: 32}\n") + kShape, root + "/t"),
        std::string());
    const std::string checkpoint = root + "/t/checkpoints/teacher.pt";
    const std::string students = R"(
students:
  - {name: s, arch: gru, embd: 16, hidden: 16, scratch_twin: false}
distill: {temperature: 2.0, alpha: 0.7, ensemble: )";
    QCOMPARE(runExperimentText("teacher: {checkpoint: " + checkpoint + "}" + students + "mean_prob}" + kShape,
                               root + "/single"),
             std::string());
    const double single = summaryOf(root + "/single")["models"]["s-kd"]["val_loss"].get<double>();
    for (const char* mode : {"mean_prob", "mean_logit", "per_teacher"}) {
      const std::string out = root + "/ensemble-" + mode;
      QCOMPARE(runExperimentText("teachers:\n  - {name: a, checkpoint: " + checkpoint +
                                     "}\n  - {name: b, weight: 3, " + "checkpoint: " + checkpoint + "}" +
                                     students + mode + "}" + kShape,
                                 out),
               std::string());
      const auto models = summaryOf(out)["models"];
      QVERIFY(models.contains("teacher-a") && models.contains("teacher-b") && !models.contains("teacher"));
      const auto& s = models["s-kd"];
      QVERIFY2(std::abs(s["val_loss"].get<double>() - single) < 1e-4,
               qPrintable(QString("%1: %2 vs %3").arg(mode).arg(s["val_loss"].get<double>()).arg(single)));
      for (const char* member : {"teacher-a", "teacher-b"}) {
        QCOMPARE(s["by_teacher"][member]["agreement"].get<double>(), s["agreement"].get<double>());
        QVERIFY(std::abs(s["by_teacher"][member]["kl"].get<double>() - s["kl_from_teacher"].get<double>()) <
                1e-5);
      }
    }
  }

  // Members train in turn, each from its own seed; a run stopped inside the second member's phase
  // resumes there and ends where an uninterrupted run ends.
  void membersTrainInTurnAndResumeInTheSecond() {
    QTemporaryDir dir;
    const std::string root = dir.path().toStdString();
    const auto loaded = parseExperiment(std::string(R"(
teachers:
  - {name: a, layers: 1, heads: 2, embd: 32}
  - {name: b, arch: gru, embd: 24, hidden: 24}
students:
  - {name: s, arch: gru, embd: 16, hidden: 16}
  - {name: only-b, arch: gru, embd: 16, hidden: 16, scratch_twin: false, distill: {teacher: b}}
)") + kShape + "\n",
                                        ".");
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.problems.front().message.c_str());
    auto config = loaded.config;
    config.train.checkpoint_interval = 7;
    RunOptions options;
    options.measureSpeed = false;
    RunObserver quiet;
    {
      RunControl control;
      options.outDir = root + "/whole";
      QVERIFY(runExperiment(config, options, quiet, control).status == RunResult::Status::Completed);
    }
    {
      RunControl control;
      StopModelAt stop(control, "teacher-b", 12);
      options.outDir = root + "/stopped";
      QVERIFY(runExperiment(config, options, stop, control).status == RunResult::Status::Cancelled);
      RunControl again;
      const auto resumed = resumeExperiment(root + "/stopped", options, quiet, again);
      QVERIFY2(resumed.status == RunResult::Status::Completed, resumed.error.c_str());
    }
    const auto whole = summaryOf(root + "/whole")["models"];
    const auto stopped = summaryOf(root + "/stopped")["models"];
    QVERIFY(whole["teacher-a"]["val_loss"].get<double>() != whole["teacher-b"]["val_loss"].get<double>());
    for (const char* model : {"teacher-a", "teacher-b", "s-kd", "s-scratch", "only-b-kd"})
      QVERIFY2(
          std::abs(whole[model]["val_loss"].get<double>() - stopped[model]["val_loss"].get<double>()) < 1e-9,
          qPrintable(QString("%1: %2 vs %3")
                         .arg(model)
                         .arg(whole[model]["val_loss"].get<double>(), 0, 'g', 12)
                         .arg(stopped[model]["val_loss"].get<double>(), 0, 'g', 12)));
    for (const char* member : {"teacher-a", "teacher-b"})
      QVERIFY(whole["s-kd"]["by_teacher"].contains(member));
    // The student of b alone is closer to b than the ensemble's student is.
    QVERIFY(whole["only-b-kd"]["by_teacher"]["teacher-b"]["kl"].get<double>() <
            whole["s-kd"]["by_teacher"]["teacher-b"]["kl"].get<double>());
  }
};

QTEST_GUILESS_MAIN(TestTeacherEnsemble)
#include "tst_teacher_ensemble.moc"
