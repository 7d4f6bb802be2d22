// End-to-end runs of a tiny experiment through the public engine API.
#include <torch/torch.h>

#include <QtTest>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "distill/experiment.h"
#include "distill/generation.h"
#include "distill/run_reader.h"
#include "io/safetensors.h"
#include "run/experiment_run.h"
#include "run/step_decision.h"

using namespace distill;

namespace {

ExperimentConfig tinyExperiment() {
  auto loaded = parseExperiment(R"(
name: tiny
data: {block_size: 16}
teacher: {layers: 1, heads: 2, embd: 32}
students:
  - {name: tf, arch: transformer, layers: 1, heads: 2, embd: 16}
  - {name: rnn, arch: gru, embd: 16, hidden: 16}
train: {steps: 60, batch_size: 8, lr: 0.01, warmup_steps: 5, eval_interval: 30, eval_batches: 2, threads: 1}
generate: {prompts: ["ROMEO:"], max_new_tokens: 8}
)",
                                ".");
  if (!loaded.ok()) qFatal("tiny experiment invalid: %s", loaded.problems.front().message.c_str());
  return loaded.config;
}

/// Collects what a run reports (callbacks arrive on the training thread).
class Recorder : public RunObserver {
public:
  void onMetrics(const std::vector<MetricPoint>& points) override {
    std::lock_guard<std::mutex> lock(mutex);
    metrics.insert(metrics.end(), points.begin(), points.end());
  }
  void onProgress(const ProgressInfo& p) override {
    std::lock_guard<std::mutex> lock(mutex);
    progress.push_back(p);
    lastStep = p.step;
  }
  void onSample(const SampleRecord&) override { ++samples; }

  std::vector<double> values(const std::string& model, const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<double> out;
    for (const auto& m : metrics)
      if (m.model == model && m.name == name) out.push_back(m.value);
    return out;
  }

  std::mutex mutex;
  std::vector<MetricPoint> metrics;
  std::vector<ProgressInfo> progress;
  std::atomic<int> lastStep{0};
  std::atomic<int> samples{0};
};

nlohmann::json readJson(const QString& path) {
  std::ifstream in(path.toStdString());
  return nlohmann::json::parse(in);
}

}  // namespace

class TestExperiment : public QObject {
  Q_OBJECT
private slots:
  // The driver's phases are callable one by one: prepare, then the teacher's phase alone.
  void teacherPhaseRunsOnItsOwn() {
    QTemporaryDir dir;
    auto config = tinyExperiment();
    config.train.steps = 5;
    RunOptions options;
    options.outDir = dir.filePath("run").toStdString();
    Recorder recorder;
    RunControl control;
    ExperimentRun run(config, options, recorder, control, 1);
    run.prepare();
    QCOMPARE(run.students().size(), size_t(4));  // two students, each with its scratch twin
    QVERIFY(run.trainTeachers());
    QCOMPARE(run.teachers().size(), size_t(1));
    QCOMPARE(run.teachers().front().steps, 5);
    QCOMPARE(recorder.values("teacher", "train/loss").size(), size_t(5));
    for (const auto& m : run.students()) QCOMPARE(m.steps, 0);  // untouched until their phase
  }

  // Rank 0's decision crosses the group as one tensor and comes back the same.
  void stepDecisionRoundTrips() {
    StepDecision go;
    go.changes.lr = 3e-4;
    go.changes.evalInterval = 25;
    QVERIFY(StepDecision::unpack(go.pack()) == go);
    StepDecision paused;
    paused.state = StepDecision::State::Paused;
    QVERIFY(StepDecision::unpack(paused.pack()) == paused);
    QVERIFY(!StepDecision::unpack(paused.pack()).changes.lr);
    QVERIFY(!(StepDecision::unpack(go.pack()) == paused));
  }

  void tinyRunLearnsAndWritesItsRunDirectory() {
    QTemporaryDir dir;
    Recorder recorder;
    RunControl control;
    RunOptions options;
    options.outDir = dir.filePath("run").toStdString();
    const auto result = runExperiment(tinyExperiment(), options, recorder, control);
    QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());

    for (const char* model : {"teacher", "tf-kd", "tf-scratch", "rnn-kd", "rnn-scratch"}) {
      const auto val = recorder.values(model, "val/loss");
      QVERIFY2(val.size() >= 2, model);
      QVERIFY2(val.back() < val.front() - 0.3,
               qPrintable(QString("%1: val loss %2 -> %3").arg(model).arg(val.front()).arg(val.back())));
      QVERIFY(QFile::exists(dir.filePath(QString("run/checkpoints/%1.pt").arg(model))));
    }
    QVERIFY(!recorder.values("tf-kd", "train/kd_loss").empty());
    QVERIFY(recorder.values("tf-scratch", "train/kd_loss").empty());
    QVERIFY(recorder.samples > 0);

    const auto summary = readJson(dir.filePath("run/summary.json"));
    QCOMPARE(summary["status"].get<std::string>(), std::string("completed"));
    QCOMPARE(summary["models"].size(), size_t(5));
    const auto& kd = summary["models"]["tf-kd"];
    for (const char* key : {"params", "val_loss", "val_perplexity", "agreement", "kl_from_teacher",
                            "gen_tokens_per_s", "gen_recompute_tokens_per_s", "gen_speedup_vs_teacher"})
      QVERIFY2(kd.contains(key), key);
    QCOMPARE(summary["models"]["tf-kd"]["params"], summary["models"]["tf-scratch"]["params"]);
    QCOMPARE(summary["models"]["teacher"]["gen_speedup_vs_teacher"].get<double>(), 1.0);
    const double speedup = kd["gen_speedup_vs_teacher"].get<double>();
    QVERIFY(std::abs(speedup - kd["gen_tokens_per_s"].get<double>() /
                                   summary["models"]["teacher"]["gen_tokens_per_s"].get<double>()) <
            1e-6 * speedup);
    QVERIFY(kd["gen_recompute_tokens_per_s"].get<double>() > 0.0);
    // Characters as tokens: bits per character is the loss per token over ln 2, in every model.
    for (const auto& [name, model] : summary["models"].items())
      QVERIFY2(std::abs(model["bits_per_char"].get<double>() -
                        model["val_loss"].get<double>() / std::log(2.0)) < 1e-12,
               name.c_str());
    const auto bits = recorder.values("tf-kd", "val/bits_per_char");
    QCOMPARE(bits.size(), recorder.values("tf-kd", "val/loss").size());
    QVERIFY(std::abs(bits.back() - recorder.values("tf-kd", "val/loss").back() / std::log(2.0)) < 1e-12);

    // Every metrics line is a whole JSON object with the documented fields.
    std::ifstream metrics(dir.filePath("run/metrics.jsonl").toStdString());
    int lines = 0;
    for (std::string line; std::getline(metrics, line); ++lines) {
      const auto j = nlohmann::json::parse(line);
      QVERIFY(j.contains("model") && j.contains("step") && j.contains("wall_s") && j.contains("name") &&
              j.contains("value"));
    }
    QVERIFY(lines > 100);

    // The run reads back as the GUI's runs panel sees it.
    const auto runs = listRuns(dir.path().toStdString());
    QCOMPARE(runs.size(), size_t(1));
    QCOMPARE(runs.front().status, std::string("completed"));
    QCOMPARE(runs.front().models.size(), size_t(5));
    QCOMPARE(static_cast<int>(readMetrics(runs.front().dir).size()), lines);
    QVERIFY(!readSamples(runs.front().dir).empty());
    QVERIFY(QFile::exists(dir.filePath("run/config.yaml")));
    QVERIFY(QFileInfo(dir.filePath("run/samples.jsonl")).size() > 0);

    // The resolved config alone reproduces the experiment.
    const auto again = loadExperimentFile(dir.filePath("run/config.yaml").toStdString());
    QVERIFY(again.ok());
    QCOMPARE(experimentToYaml(again.config), experimentToYaml(tinyExperiment()));

    // A trained teacher can be reused: same teacher, same validation loss, no teacher training.
    auto reuse = tinyExperiment();
    reuse.teacher.checkpoint = dir.filePath("run/checkpoints/teacher.pt").toStdString();
    reuse.train.student_steps = 5;
    Recorder second;
    options.outDir = dir.filePath("reuse").toStdString();
    const auto reused = runExperiment(reuse, options, second, control);
    QVERIFY2(reused.status == RunResult::Status::Completed, reused.error.c_str());
    QVERIFY(second.values("teacher", "train/loss").empty());
    QCOMPARE(reused.models.front().valLoss, result.models.front().valLoss);

    // ... but not one whose block size is smaller than the data's.
    reuse.data.block_size = 32;
    options.outDir = dir.filePath("mismatch").toStdString();
    const auto mismatch = runExperiment(reuse, options, second, control);
    QVERIFY(mismatch.status == RunResult::Status::Failed);
    QVERIFY2(
        QString::fromStdString(mismatch.error).contains("context of 16 tokens but data.block_size is 32"),
        mismatch.error.c_str());
  }

  void importedTeacherDistillsWithItsTokenizer() {
    // The llama fixture (random weights) as a pretrained teacher, with the BPE fixture's ids: a
    // DistilGPT2-style student (one of its two layers) and a small transformer.
    auto loaded = parseExperiment(R"(
name: imported
data: {tokenizer: bpe512, block_size: 16}
teacher: {hf: llama-tiny}
students:
  - {name: half, layers: 1, init_from_teacher: true}
  - {name: tf, arch: transformer, layers: 1, heads: 2, embd: 16}
train: {steps: 20, batch_size: 4, warmup_steps: 2, eval_interval: 10, eval_batches: 2, threads: 1}
generate: {prompts: ["ROMEO:"], max_new_tokens: 8}
)",
                                  DISTILL_FIXTURES_DIR);
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.problems.front().message.c_str());
    QTemporaryDir dir;
    Recorder recorder;
    RunControl control;
    RunOptions options;
    options.outDir = dir.filePath("run").toStdString();
    const auto result = runExperiment(loaded.config, options, recorder, control);
    QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());
    QVERIFY(recorder.values("teacher", "train/loss").empty());  // imported, not trained
    for (const char* model : {"half-kd", "half-scratch", "tf-kd", "tf-scratch"})
      QCOMPARE(static_cast<int>(recorder.values(model, "train/loss").size()), 20);
    // The student took the teacher's architecture and its first layer: it starts close to it.
    const auto kl = recorder.values("half-kd", "val/kl_from_teacher");
    const auto tfKl = recorder.values("tf-kd", "val/kl_from_teacher");
    QVERIFY2(kl.front() < tfKl.front(),
             qPrintable(QString("initial KL %1 vs %2").arg(kl.front()).arg(tfKl.front())));
    const auto summary = readJson(dir.filePath("run/summary.json"));
    QCOMPARE(summary["models"]["half-kd"]["arch"].get<std::string>(), std::string("llama"));
    QCOMPARE(summary["models"]["teacher"]["params"].get<long long>(), 151872LL);
    // The run's checkpoints carry the BPE tokenizer: text generation works from the run directory.
    for (const char* model : {"teacher", "half-kd", "tf-scratch"}) {
      TextGenerator generator(checkpointPathFor(dir.filePath("run").toStdString(), model));
      SamplingOptions greedy;
      greedy.maxNewTokens = 5;
      greedy.greedy = true;
      QCOMPARE(static_cast<int>(generator.generate("ROMEO:", greedy).ids.size()), 5);
    }
    const auto again = loadExperimentFile(dir.filePath("run/config.yaml").toStdString());
    QVERIFY2(again.ok(), again.ok() ? "" : again.problems.front().message.c_str());
    QCOMPARE(again.config.teacher.hf, std::string(DISTILL_FIXTURES_DIR "/llama-tiny"));
  }

  void nonFiniteTeacherLogitsStopTheRun() {
    // A teacher whose final norm holds a NaN: every logit is NaN, which the KL would silently skip.
    QTemporaryDir dir;
    const std::string teacher = dir.filePath("nan-teacher").toStdString();
    std::filesystem::create_directories(teacher);
    std::filesystem::copy_file(DISTILL_FIXTURES_DIR "/llama-tiny/config.json", teacher + "/config.json");
    std::map<std::string, torch::Tensor> tensors;
    SafetensorsFile original(DISTILL_FIXTURES_DIR "/llama-tiny/model.safetensors");
    for (const auto& [name, entry] : original.entries()) tensors[name] = original.tensor(name);
    tensors["model.norm.weight"][3] = std::numeric_limits<float>::quiet_NaN();
    writeSafetensors(teacher + "/model.safetensors", tensors);
    auto loaded = parseExperiment(R"(
data: {tokenizer: )" DISTILL_FIXTURES_DIR R"(/bpe512, block_size: 16}
students: [{name: s, arch: transformer, layers: 1, heads: 2, embd: 16}]
train: {steps: 5, batch_size: 4, eval_batches: 1, threads: 1}
)",
                                  ".", {"teacher.hf=" + teacher});
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.problems.front().message.c_str());
    Recorder recorder;
    RunControl control;
    RunOptions options;
    options.outDir = dir.filePath("run").toStdString();
    const auto result = runExperiment(loaded.config, options, recorder, control);
    QVERIFY(result.status == RunResult::Status::Failed);
    QVERIFY2(QString::fromStdString(result.error)
                 .contains("model 'teacher': its logits on the validation batches contain NaN"),
             result.error.c_str());
  }

  void methodsShareInitAndLandInMethodsCsv() {
    QTemporaryDir dir;
    auto loaded = parseExperiment(R"(
data: {block_size: 16}
teacher: {layers: 1, heads: 2, embd: 16}
students:
  - {name: fkl, layers: 1, heads: 2, embd: 8, init_seed: 3}
  - {name: rkl, layers: 1, heads: 2, embd: 8, init_seed: 3, scratch_twin: false, distill: {loss: reverse_kl}}
train: {steps: 10, batch_size: 4, eval_interval: 10, eval_batches: 1, threads: 1}
generate: {prompts: ["A"], max_new_tokens: 2}
)",
                                  ".");
    QVERIFY(loaded.ok());
    Recorder recorder;
    RunControl control;
    RunOptions options;
    options.outDir = dir.filePath("run").toStdString();
    const auto result = runExperiment(loaded.config, options, recorder, control);
    QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());
    QCOMPARE(result.models.size(), size_t(4));  // teacher, fkl-kd, fkl-scratch, rkl-kd
    // Same init seed, same data, different loss: same start, different end.
    QCOMPARE(recorder.values("fkl-kd", "val/loss").front(), recorder.values("rkl-kd", "val/loss").front());
    QVERIFY(recorder.values("fkl-kd", "train/kd_loss").back() !=
            recorder.values("rkl-kd", "train/kd_loss").back());
    QFile csv(dir.filePath("run/methods.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines = QString(csv.readAll()).trimmed().split('\n');
    QCOMPARE(lines.front(), QString("method,val_loss,perplexity,agreement,train_tokens_per_s,bits_per_char"));
    QCOMPARE(lines.size(), 4);
    QVERIFY(lines[1].startsWith("fkl,"));
    QVERIFY(lines[2].startsWith("fkl-scratch,"));
    QVERIFY(lines[3].startsWith("rkl,"));
  }

  void sequenceOnPolicyAndFeatureMethodsTrain() {
    QTemporaryDir dir;
    const std::string yaml = R"(
data: {block_size: 16}
teacher: {layers: 2, heads: 2, embd: 16}
students:
  - {name: seq, layers: 1, heads: 2, embd: 8, scratch_twin: false,
     distill: {regime: sequence, sequence_count: 30, prefix_tokens: 4, alpha: 0.0}}
  - {name: onp, arch: gru, embd: 8, scratch_twin: false, distill: {regime: on_policy, on_policy_fraction: 0.5}}
  - {name: feat, layers: 1, heads: 2, embd: 8, scratch_twin: false,
     distill: {hidden_loss: cosine, attention_weight: 0.5}}
train: {steps: 20, batch_size: 4, lr: 0.01, eval_interval: 20, eval_batches: 1, threads: 1}
generate: {prompts: ["A"], max_new_tokens: 2}
)";
    auto loaded = parseExperiment(yaml, ".");
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.problems.front().message.c_str());
    Recorder recorder;
    RunControl control;
    RunOptions options;
    options.outDir = dir.filePath("run").toStdString();
    const auto result = runExperiment(loaded.config, options, recorder, control);
    QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());
    for (const char* model : {"seq-kd", "onp-kd", "feat-kd"}) {
      const auto val = recorder.values(model, "val/loss");
      QVERIFY2(val.size() == 2 && val.back() < val.front(), model);
    }
    // Sequence-level with alpha 0: cross-entropy on the teacher's tokens only.
    QVERIFY(recorder.values("seq-kd", "train/kd_loss").empty());
    QCOMPARE(recorder.values("seq-kd", "train/ce_loss").size(), size_t(20));
    QVERIFY(QFile::exists(dir.filePath("run/teacher_sequences.bin")));
    // On-policy: every other step trains on the student's samples with the soft term alone.
    QCOMPARE(recorder.values("onp-kd", "train/kd_loss").size(), size_t(20));
    QCOMPARE(recorder.values("onp-kd", "train/ce_loss").size(), size_t(10));
    // Feature terms are logged for the feature student only.
    QCOMPARE(recorder.values("feat-kd", "train/hidden_loss").size(), size_t(20));
    QCOMPARE(recorder.values("feat-kd", "train/attention_loss").size(), size_t(20));
    QVERIFY(recorder.values("seq-kd", "train/hidden_loss").empty());

    // A second run reuses the sequence set when its settings match.
    auto again =
        parseExperiment(yaml, ".",
                        {"students=["
                         "{name: seq, layers: 1, heads: 2, embd: 8, scratch_twin: false, "
                         "distill: {regime: sequence, sequence_count: 30, prefix_tokens: 4, alpha: 0.0, "
                         "sequence_path: " +
                             dir.filePath("run/teacher_sequences.bin").toStdString() + "}}]",
                         "train.steps=2"});
    QVERIFY2(again.ok(), again.ok() ? "" : again.problems.front().message.c_str());
    class Messages : public RunObserver {
    public:
      void onMessage(const std::string& m) override { all += m + "\n"; }
      std::string all;
    } messages;
    options.outDir = dir.filePath("again").toStdString();
    QVERIFY(runExperiment(again.config, options, messages, control).status == RunResult::Status::Completed);
    QVERIFY2(messages.all.find("teacher sequences from") != std::string::npos, messages.all.c_str());
    QVERIFY(!QFile::exists(dir.filePath("again/teacher_sequences.bin")));
  }

  void pauseHoldsTheRunAndCancelStopsIt() {
    QTemporaryDir dir;
    auto config = tinyExperiment();
    config.train.steps = 100000;  // would take far too long unless cancelled
    Recorder recorder;
    RunControl control;
    RunOptions options;
    options.outDir = dir.filePath("run").toStdString();
    RunResult result;
    std::thread worker([&] { result = runExperiment(config, options, recorder, control); });

    QTRY_VERIFY_WITH_TIMEOUT(recorder.lastStep >= 3, 30000);
    control.pause();
    QTest::qWait(200);  // let the step in flight finish
    const int pausedAt = recorder.lastStep;
    QTest::qWait(600);
    QCOMPARE(recorder.lastStep.load(), pausedAt);
    control.resume();
    QTRY_VERIFY_WITH_TIMEOUT(recorder.lastStep > pausedAt + 1, 30000);
    control.cancel();
    worker.join();

    QVERIFY(result.status == RunResult::Status::Cancelled);
    QVERIFY(QFile::exists(dir.filePath("run/checkpoints/teacher.pt")));
    QCOMPARE(readJson(dir.filePath("run/summary.json"))["status"].get<std::string>(),
             std::string("cancelled"));

    // The 0.8 s paused are no training time: the phase clock (rates, ETA) and the metrics' time
    // axis go on from where they stood, without a jump across the pause.
    double before = 0.0, after = 0.0;
    for (const auto& p : recorder.progress) {
      if (p.step == pausedAt) before = p.phaseSeconds;
      if (p.step == pausedAt + 1) after = p.phaseSeconds;
    }
    QVERIFY2(after > before && after - before < 0.5, qPrintable(QString("%1 -> %2").arg(before).arg(after)));
    double lastTime = 0.0, nextTime = 0.0;
    for (const auto& p : recorder.progress) {
      if (p.latest.empty()) continue;
      if (p.step == pausedAt) lastTime = p.latest.front().wallSeconds;
      if (p.step == pausedAt + 1) nextTime = p.latest.front().wallSeconds;
    }
    QVERIFY2(nextTime > lastTime && nextTime - lastTime < 0.5,
             qPrintable(QString("%1 -> %2").arg(lastTime).arg(nextTime)));
  }

  void studentsOfARunStoppedInTheTeacherPhaseAreNotTrained() {
    QTemporaryDir dir;
    auto config = tinyExperiment();
    config.train.steps = 100000;
    Recorder recorder;
    RunControl control;
    RunOptions options;
    options.outDir = dir.filePath("run").toStdString();
    RunResult result;
    std::thread worker([&] { result = runExperiment(config, options, recorder, control); });
    QTRY_VERIFY_WITH_TIMEOUT(recorder.lastStep >= 3, 30000);
    control.cancel();
    worker.join();
    QVERIFY(result.status == RunResult::Status::Cancelled);

    for (const auto& m : result.models) {
      if (m.role == ModelRole::Teacher) {
        QVERIFY(m.trained);
        QVERIFY(std::isfinite(m.valLoss));
        continue;
      }
      QVERIFY2(!m.trained, m.name.c_str());
      QVERIFY2(std::isnan(m.valLoss) && std::isnan(m.agreement), m.name.c_str());
      // No checkpoint: an untrained model is not a model to sample from.
      QVERIFY2(!QFile::exists(dir.filePath(QString::fromStdString("run/checkpoints/" + m.name + ".pt"))),
               m.name.c_str());
    }
    const auto summary = readJson(dir.filePath("run/summary.json"));
    const auto& student = summary["models"]["tf-kd"];
    QCOMPARE(student["trained"].get<bool>(), false);
    QVERIFY(student["val_loss"].is_null());
    QVERIFY(student["agreement"].is_null());
    QVERIFY(summary["models"]["teacher"]["val_loss"].is_number());
    // Read back, they stay unmeasured (not 0).
    const auto read = readRunSummary(dir.filePath("run").toStdString());
    for (const auto& m : read.models)
      if (m.role != ModelRole::Teacher) QVERIFY2(!m.trained && std::isnan(m.valLoss), m.name.c_str());
  }

  void invalidConfigFailsWithoutThrowing() {
    auto config = tinyExperiment();
    config.data.corpus = "/nonexistent.txt";
    Recorder recorder;
    RunControl control;
    const auto result = runExperiment(config, {}, recorder, control);
    QVERIFY(result.status == RunResult::Status::Failed);
    QVERIFY2(QString::fromStdString(result.error).contains("corpus not found"), result.error.c_str());
  }
};

QTEST_GUILESS_MAIN(TestExperiment)
#include "tst_experiment.moc"
