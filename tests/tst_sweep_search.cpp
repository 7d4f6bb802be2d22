// The search side of sweeps, without training: the sweep section's parsing and checks, grid and
// random enumeration, TPE against random search, the median stopping rule, trials.csv.
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <sstream>

#include "distill/sweep.h"
#include "sweep/median_stopping.h"
#include "sweep/search_space.h"
#include "sweep/sweep_record.h"
#include "sweep/tpe.h"

using namespace distill;

namespace {

const char* kExperiment = R"(name: tiny
data: {block_size: 16}
teacher: {layers: 1, heads: 2, embd: 32}
students:
  - {name: tf, arch: transformer, layers: 1, heads: 2, embd: 16}
  - {name: rnn, arch: gru, embd: 16, hidden: 16}
train: {steps: 60, batch_size: 8}
)";

SweepFile parse(const std::string& sweepSection) {
  return parseSweepFile(std::string(kExperiment) + sweepSection, ".");
}

std::string problemsText(const SweepFile& f) {
  std::string text;
  for (const auto& p : f.problems) text += p.toString("x.yaml") + "\n";
  return text;
}

const ConfigProblem* problemFor(const SweepFile& f, const std::string& key) {
  for (const auto& p : f.problems)
    if (p.key == key) return &p;
  return nullptr;
}

/// A smooth objective with its minimum inside the box: three numeric dimensions (one on a log
/// scale) and one categorical whose best choice is the second.
double synthetic(const std::vector<double>& x) {
  const double a = x[0] - 0.3, b = std::log10(x[1]) + 2.0, c = (x[2] - 7.0) / 10.0;
  return a * a + b * b + c * c + (x[3] == 1 ? 0.0 : 0.3);
}

std::vector<Dimension> syntheticSpace() {
  Dimension a{0, -2.0, 2.0, false, false};
  Dimension b{0, 1e-4, 1.0, true, false};
  Dimension c{0, 0.0, 40.0, false, true};
  Dimension d{3};
  return {a, b, c, d};
}

double bestOf(bool tpe, uint64_t seed, int trials) {
  const auto space = syntheticSpace();
  std::vector<Observation> history;
  double best = INFINITY;
  for (int id = 0; id < trials; ++id) {
    auto rng = trialGenerator(seed, id);
    const auto x = tpe ? suggestTpe(space, history, rng) : uniformPoint(space, rng);
    const double y = synthetic(x);
    history.push_back({x, y});
    best = std::min(best, y);
  }
  return best;
}

}  // namespace

class TestSweepSearch : public QObject {
  Q_OBJECT

private slots:
  void parsesASweepSection() {
    const auto f = parse(R"(sweep:
  strategy: grid
  parameters:
    distill.temperature: [1, 2, 4]
    students[1].hidden: {range: int, low: 8, high: 10}
    distill.loss: [kl, jsd]
  objective: {model: rnn-kd}
)");
    QVERIFY2(f.ok(), problemsText(f).c_str());
    QCOMPARE(f.sweep.parameters.size(), size_t(3));
    QCOMPARE(f.sweep.parameters[1].key, std::string("students.1.hidden"));
    QCOMPARE(gridSize(f.sweep), 3 * 3 * 2);
    QCOMPARE(f.sweep.plannedTrials(), 18 + 1);  // and the baseline
    QVERIFY(f.sweep.objective.minimize);
  }

  void aDefinitionWritesBackToTheSameDefinition() {
    const auto f = parse(R"(sweep:
  strategy: tpe
  max_trials: 7
  seed: 3
  repeats: 3
  early_stopping: {rule: median, min_trials: 2, grace_evals: 0}
  parameters:
    train.lr: {range: log_uniform, low: 1e-4, high: 1e-2}
    distill.loss: [kl, jsd]
  objective: {model: rnn-kd, metric: agreement}
)");
    QVERIFY2(f.ok(), problemsText(f).c_str());
    const auto again = parse(sweepToYaml(f.sweep));
    QVERIFY2(again.ok(), (problemsText(again) + sweepToYaml(f.sweep)).c_str());
    QCOMPARE(sweepToYaml(again.sweep), sweepToYaml(f.sweep));
    QCOMPARE(again.sweep.parameters[0].low, 1e-4);
    QCOMPARE(again.sweep.parameters[1].values, (std::vector<std::string>{"kl", "jsd"}));
    QVERIFY(!again.sweep.objective.minimize);
    QCOMPARE(again.sweep.maxTrials, 7);
    QCOMPARE(again.sweep.repeats, 3);
    QCOMPARE(again.sweep.earlyStopping, EarlyStopping::Median);
  }

  void savingPutsTheSweepSectionInPlace() {
    const std::string text =
        std::string(kExperiment) +
        "sweep:  # what to try\n  parameters:\n    distill.alpha: [0.2, 0.8]\ngenerate: {top_k: 5}\n";
    const auto file = parseSweepFile(text, ".");
    QVERIFY2(file.ok(), problemsText(file).c_str());
    QCOMPARE(withSweepSection(text, ".", file.sweep), text);  // unchanged: comments stay
    SweepDefinition changed = file.sweep;
    changed.parameters[0].values = {"0.1", "0.9"};
    changed.strategy = SweepStrategy::Random;
    const std::string saved = withSweepSection(text, ".", changed);
    const auto back = parseSweepFile(saved, ".");
    QVERIFY2(back.ok(), (problemsText(back) + saved).c_str());
    QCOMPARE(back.sweep.parameters[0].values, changed.parameters[0].values);
    QCOMPARE(back.sweep.strategy, SweepStrategy::Random);
    QCOMPARE(back.base.generate.top_k, 5);  // the key after the section is kept
    const auto appended = parseSweepFile(withSweepSection(kExperiment, ".", changed), ".");
    QVERIFY2(appended.ok(), problemsText(appended).c_str());
    QCOMPARE(appended.sweep.parameters.size(), size_t(1));
  }

  void gridEnumeratesEveryCombinationOnce() {
    const auto f = parse(R"(sweep:
  parameters:
    distill.temperature: [1, 2, 4]
    students[1].hidden: {range: int, low: 8, high: 10}
    distill.loss: [kl, jsd]
)");
    QVERIFY2(f.ok(), problemsText(f).c_str());
    std::set<std::vector<std::string>> seen;
    for (int i = 0; i < gridSize(f.sweep); ++i) seen.insert(gridPoint(f.sweep, i));
    QCOMPARE(seen.size(), size_t(18));
    QCOMPARE(gridPoint(f.sweep, 0), (std::vector<std::string>{"1", "8", "kl"}));
    QCOMPARE(gridPoint(f.sweep, 1), (std::vector<std::string>{"1", "8", "jsd"}));
    QCOMPARE(gridPoint(f.sweep, 17), (std::vector<std::string>{"4", "10", "jsd"}));
  }

  void randomDrawsStayInTheirRangesAndRepeatPerTrial() {
    const auto f = parse(R"(sweep:
  strategy: random
  parameters:
    train.lr: {range: log_uniform, low: 1e-4, high: 1e-2}
    distill.alpha: {range: uniform, low: 0.2, high: 0.8}
    students[0].embd: {range: int, low: 16, high: 20}
    distill.loss: [kl, jsd]
)");
    QVERIFY2(f.ok(), problemsText(f).c_str());
    const auto space = dimensionsOf(f.sweep);
    std::set<std::string> embd;
    double logSum = 0.0;
    const int n = 400;
    for (int id = 0; id < n; ++id) {
      auto rng = trialGenerator(3, id);
      const auto x = uniformPoint(space, rng);
      QVERIFY(x[0] >= 1e-4 && x[0] <= 1e-2);
      QVERIFY(x[1] >= 0.2 && x[1] <= 0.8);
      QVERIFY(x[2] >= 16 && x[2] <= 20 && x[2] == std::floor(x[2]));
      QVERIFY(x[3] == 0 || x[3] == 1);
      embd.insert(valuesOf(f.sweep, x)[2]);
      logSum += std::log10(x[0]);
      auto again = trialGenerator(3, id);
      QCOMPARE(uniformPoint(space, again), x);  // a resumed sweep proposes the same trial
    }
    QCOMPARE(embd.size(), size_t(5));           // both ends of an int range are drawn
    QVERIFY(std::abs(logSum / n + 3.0) < 0.1);  // log-uniform: the mean exponent is the middle
  }

  void tpeBeatsRandomSearchOverManySeeds() {
    const int seeds = 40, trials = 40;
    double tpeSum = 0.0, randomSum = 0.0;
    int tpeWins = 0;
    for (int s = 0; s < seeds; ++s) {
      const double t = bestOf(true, 1000 + s, trials), r = bestOf(false, 1000 + s, trials);
      tpeSum += t;
      randomSum += r;
      tpeWins += t < r ? 1 : 0;
    }
    qInfo("best after %d trials, mean over %d seeds: TPE %.4f, random %.4f; TPE better in %d seeds", trials,
          seeds, tpeSum / seeds, randomSum / seeds, tpeWins);
    QVERIFY(tpeSum < 0.7 * randomSum);
    QVERIFY(tpeWins >= seeds * 2 / 3);
  }

  void tpeStartsUniformAndStaysInTheSpace() {
    const auto space = syntheticSpace();
    std::vector<Observation> history;
    for (int id = 0; id < 30; ++id) {
      auto rng = trialGenerator(9, id);
      const auto x = suggestTpe(space, history, rng);
      QVERIFY(x[0] >= -2.0 && x[0] <= 2.0);
      QVERIFY(x[1] >= 1e-4 && x[1] <= 1.0);
      QVERIFY(x[2] >= 0 && x[2] <= 40 && x[2] == std::floor(x[2]));
      QVERIFY(x[3] >= 0 && x[3] <= 2 && x[3] == std::floor(x[3]));
      if (id < TpeSettings().startupTrials) {
        auto uniform = trialGenerator(9, id);
        QCOMPARE(x, uniformPoint(space, uniform));
      }
      history.push_back({x, synthetic(x)});
    }
  }

  void medianRuleStopsTheWorstAndNeverTheBest() {
    // Ten trials whose curves keep their order (trial i ends at 1 + 0.1 i), reported in an
    // order that changes from step to step, as parallel trials would.
    MedianStoppingRule rule(true, 3, 1);
    std::set<int> stopped;
    std::vector<int> order = {4, 0, 9, 2, 7, 5, 1, 8, 3, 6};
    for (int step = 0; step <= 1000; step += 100, std::rotate(order.begin(), order.begin() + 3, order.end()))
      for (int trial : order) {
        if (stopped.count(trial)) continue;
        const double value = 1.0 + 0.1 * trial + 3.0 / (1.0 + step / 100.0);
        if (!rule.report(trial, step, value).empty()) stopped.insert(trial);
      }
    QVERIFY(!stopped.count(0));  // the best
    for (int worst : {7, 8, 9})
      QVERIFY2(stopped.count(worst), qPrintable(QString("trial %1 ran on").arg(worst)));
  }

  void medianRuleWaitsForGraceAndEnoughTrials() {
    MedianStoppingRule rule(true, 3, 2);
    rule.report(0, 100, 1.0);
    rule.report(1, 100, 1.1);
    QVERIFY(rule.report(2, 100, 9.0).empty());  // only two others so far
    rule.report(3, 100, 1.2);
    QVERIFY(rule.report(4, 100, 9.0).empty());  // its first evaluation: grace
    QVERIFY(rule.report(4, 200, 9.0).empty());  // its second: grace
    QVERIFY(rule.report(4, 300, 9.0).empty());  // nobody else reached step 300
    for (int t = 0; t < 4; ++t) rule.report(t, 300, 1.0 + 0.01 * t);
    QVERIFY(!rule.report(4, 300, 9.0).empty());
    QVERIFY(rule.report(5, 300, 0.5, true).empty());  // exempt (the baseline)
    // Maximised metrics: lower is worse.
    MedianStoppingRule up(false, 1, 0);
    up.report(0, 100, 0.8);
    QVERIFY(!up.report(1, 100, 0.5).empty());
    QVERIFY(up.report(2, 100, 0.9).empty());
  }

  void refusesBadSweepsWithKeyLineAndColumn() {
    auto f = parse("sweep:\n  parameters:\n    distill.temprature: [1, 2]\n");
    auto* p = problemFor(f, "sweep.parameters.distill.temprature");
    QVERIFY2(p, problemsText(f).c_str());
    QCOMPARE(p->line, 10);
    QCOMPARE(p->column, 5);

    f = parse("sweep:\n  parameters:\n    distill.alpha: [0.5, 1.5]\n");
    p = problemFor(f, "sweep.parameters.distill.alpha");
    QVERIFY2(p, problemsText(f).c_str());
    QCOMPARE(p->line, 10);
    QCOMPARE(p->column, 26);  // the value 1.5
    QVERIFY2(p->message.find("1.5") != std::string::npos, p->message.c_str());

    f = parse(
        "sweep:\n  strategy: random\n  parameters:\n    distill.loss: {range: uniform, low: 0, high: 1}\n");
    p = problemFor(f, "sweep.parameters.distill.loss");
    QVERIFY2(p && p->message.find("numeric") != std::string::npos, problemsText(f).c_str());

    f = parse(
        "sweep:\n  strategy: random\n  parameters:\n    train.lr: {range: log_uniform, low: 0, high: 1}\n");
    QVERIFY2(problemFor(f, "sweep.parameters.train.lr"), problemsText(f).c_str());

    f = parse(
        "sweep:\n  strategy: random\n  parameters:\n    distill.alpha: {range: uniform, low: 0.5, high: "
        "2}\n");
    p = problemFor(f, "sweep.parameters.distill.alpha");
    QVERIFY2(p && p->line == 11, problemsText(f).c_str());  // the high end, out of [0, 1]

    f = parse("sweep:\n  parameters:\n    students[5].hidden: [8]\n");
    QVERIFY2(problemFor(f, "sweep.parameters.students.5.hidden"), problemsText(f).c_str());

    f = parse("sweep:\n  parameters:\n    distill.alpha: {range: uniform, low: 0.1, high: 0.9}\n");
    p = problemFor(f, "sweep.parameters.distill.alpha");  // a grid cannot enumerate a continuous range
    QVERIFY2(p && p->message.find("grid") != std::string::npos, problemsText(f).c_str());

    f = parse("sweep:\n  repeats: 0\n  parameters:\n    distill.alpha: [0.1]\n");
    QVERIFY2(problemFor(f, "sweep.repeats"), problemsText(f).c_str());

    f = parse("sweep:\n  objective: {model: lstm-kd}\n  parameters:\n    distill.alpha: [0.1]\n");
    QVERIFY2(problemFor(f, "sweep.objective.model"), problemsText(f).c_str());

    f = parse("sweep:\n  parameters:\n    students[0].heads: [3]\n");  // 3 does not divide embd 16
    p = problemFor(f, "sweep.parameters.students.0.heads");
    QVERIFY2(p && p->message.find("divide") != std::string::npos, problemsText(f).c_str());

    f = parseSweepFile(kExperiment, ".");
    QVERIFY(!f.hasSweep);
    QVERIFY(!f.ok());
  }

  void trialsCsvHasOneRowPerTrialAndEveryColumn() {
    SweepState state;
    state.file = parse("sweep:\n  parameters:\n    distill.alpha: [0.2, 0.8]\n    distill.loss: [kl, jsd]\n");
    QVERIFY2(state.file.ok(), problemsText(state.file).c_str());
    auto model = [](const std::string& name, ModelRole role, double loss) {
      ModelSummary m;
      m.name = name;
      m.role = role;
      m.valLoss = loss;
      m.valPerplexity = std::exp(loss);
      m.agreement = 0.5;
      m.steps = 60;
      return m;
    };
    SweepTrial base;
    base.id = 0;
    base.baseline = true;
    base.values = {"0.5", "kl"};
    base.status = SweepTrial::Status::Completed;
    base.objective = 2.0;
    base.models = {model("teacher", ModelRole::Teacher, 1.0), model("tf-kd", ModelRole::Distilled, 2.0),
                   model("tf-scratch", ModelRole::Scratch, 3.0)};
    SweepTrial other = base;
    other.id = 1;
    other.baseline = false;
    other.values = {"0.8", "jsd"};
    other.objective = 1.5;
    other.models[1].valLoss = 1.5;
    other.models.pop_back();  // its scratch twin came from trial 0
    other.scratchFrom["tf"] = 0;
    SweepTrial stopped = other;
    stopped.id = 2;
    stopped.status = SweepTrial::Status::Stopped;
    stopped.stopReason = "median rule at step 30: best 2.9, median 2.1";
    state.trials = {base, other, stopped};
    std::istringstream csv(trialsCsv(state));
    std::string header, line;
    std::getline(csv, header);
    QCOMPARE(header,
             std::string(
                 "trial,status,baseline,distill.alpha,distill.loss,objective,objective_sd,teacher/val_loss,"
                 "teacher/val_perplexity,teacher/bits_per_char,teacher/agreement,tf-kd/val_loss,"
                 "tf-kd/val_perplexity,tf-kd/bits_per_char,tf-kd/agreement,tf-scratch/val_loss,"
                 "tf-scratch/val_perplexity,tf-scratch/bits_per_char,tf-scratch/agreement,"
                 "tf-kd/gap_recovered,tf-kd/verdict,steps,wall_s,stop_reason,teacher_run,run_dir"));
    std::vector<std::string> rows;
    while (std::getline(csv, line)) rows.push_back(line);
    QCOMPARE(rows.size(), size_t(3));
    QVERIFY2(rows[1].find(",0.75,distillation wins,") != std::string::npos,
             rows[1].c_str());  // gap from trial 0's scratch twin (one seed: the single-run verdict)
    QVERIFY2(rows[2].find("\"median rule at step 30: best 2.9, median 2.1\"") != std::string::npos,
             rows[2].c_str());
    QCOMPARE(bestTrialOf(state), 1);
  }
};

QTEST_APPLESS_MAIN(TestSweepSearch)
#include "tst_sweep_search.moc"
