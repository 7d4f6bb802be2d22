// Distillation on prompt/response data beyond word-level KD: the teacher's answers to the training
// prompts as a training set (sequence-level KD), the student's own answers scored by the teacher
// (on-policy), and runs that use both.
#include <torch/torch.h>

#include <QtTest>
#include <fstream>
#include <map>
#include <mutex>
#include <random>

#include "data/corpus.h"
#include "distill/errors.h"
#include "distill/experiment.h"
#include "kd/response_rollouts.h"
#include "kd/teacher_responses.h"
#include "model_specs.h"
#include "models/model_factory.h"
#include "models/sampling.h"
#include "run/held_out_answers.h"
#include "temp_files.h"

using namespace distill;

namespace {

/// What a run reports: validation losses per model, and its messages.
class RunLog : public RunObserver {
public:
  void onMetrics(const std::vector<MetricPoint>& points) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (const auto& p : points)
      if (p.name == "val/loss") valLoss[p.model] = p.value;
  }
  void onMessage(const std::string& text) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    messages += text + "\n";
  }
  std::map<std::string, double> valLoss;
  std::string messages;

private:
  std::mutex m_mutex;
};

RunResult runIn(const QTemporaryDir& dir, const QString& name, const std::string& yaml, RunLog& log) {
  const auto loaded = parseExperiment(yaml, ".");
  if (!loaded.ok()) throw EngineError(loaded.problems.front().key + ": " + loaded.problems.front().message);
  RunControl control;
  RunOptions options;
  options.outDir = dir.filePath(name).toStdString();
  return runExperiment(loaded.config, options, log, control);
}

std::vector<std::string> lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

class TestResponseDistillation : public QObject {
  Q_OBJECT
private slots:
  void answerRowsMarkThePositionsThatPredictTheAnswer() {
    const std::vector<int64_t> end = {9};
    // Row 0: prompt 1 2 3, answer 4 5 and the end marker, then tokens after the end are dropped.
    // Row 1: prompt 9 1 (an end marker inside the prompt does not end the answer), answer 5 9.
    // Row 2: prompt 1 2, an answer that never ends: kept up to the width.
    const auto rows = responseRows({{1, 2, 3, 4, 5, 9, 7, 7}, {9, 1, 5, 9, 8}, {1, 2, 6, 6, 6, 6, 6, 6, 6}},
                                   {3, 2, 2}, end, 8);
    QCOMPARE(rows.tokens.sizes(), torch::IntArrayRef({3, 8}));
    const auto expectTokens =
        torch::tensor({1, 2, 3, 4, 5, 9, 0, 0, 9, 1, 5, 9, 0, 0, 0, 0, 1, 2, 6, 6, 6, 6, 6, 6}, torch::kInt64)
            .view({3, 8});
    QVERIFY(torch::equal(rows.tokens, expectTokens));
    // Position t predicts token t + 1: row 0's answer is tokens 3…5, so positions 2…4.
    const auto expectMask =
        torch::tensor({0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0}, torch::kInt64)
            .view({3, 8})
            .to(torch::kBool);
    QVERIFY2(torch::equal(rows.positionMask, expectMask),
             qPrintable(QString::fromStdString(c10::str(rows.positionMask.to(torch::kInt64)))));
  }

  void thePromptPoolKeepsPromptsThatLeaveRoom() {
    const Tokenizer chars = CharTokenizer::fromText("abcdefgh=XY\n");
    const std::vector<Example> examples = {{"abc=", "XY", ""}, {"abcdefgh=", "X", ""}, {"a=", "XYXY", ""}};
    const auto pool = makePromptPool(examples, chars, "\n", 8);
    QCOMPARE(pool.prompts.size(), size_t(2));  // "abcdefgh=" is 9 tokens: no room in a block of 8
    QCOMPARE(pool.prompts[1], chars.encode("a="));
    QCOMPARE(pool.responseEnd, chars.encode("\n"));
    QCOMPARE(pool.maxNewTokens, int64_t(2 * 4 + 1));  // twice the longest answer and the end marker
  }

  void theStudentsAnswersStartAfterEachPrompt() {
    torch::manual_seed(3);
    const Tokenizer chars = CharTokenizer::fromText("abcdefgh=XY\n");
    auto student = makeModel(smallSpec("gru"), chars.vocabSize(), 16);
    const std::vector<Example> examples = {{"abc=", "XY", ""}, {"a=", "XY", ""}, {"hgfedc=", "Y", ""}};
    const auto pool = makePromptPool(examples, chars, "\n", 16);
    auto generator = makeSamplingGenerator(4);
    const auto rows = sampleResponses(*student, pool, {2, 0, 1, 0}, 16, 1.0, 0, generator);
    QCOMPARE(rows.tokens.size(0), int64_t(4));
    QVERIFY(rows.tokens.size(1) <= 16);
    const std::vector<int64_t> picked = {2, 0, 1, 0};
    for (int64_t r = 0; r < 4; ++r) {
      const auto& prompt = pool.prompts[static_cast<size_t>(picked[static_cast<size_t>(r)])];
      const auto P = static_cast<int64_t>(prompt.size());
      QVERIFY(torch::equal(rows.tokens[r].slice(0, 0, P), torch::tensor(prompt, torch::kInt64)));
      QVERIFY(!rows.positionMask[r].slice(0, 0, P - 1).any().item<bool>());  // the prompt: no loss
      QVERIFY(rows.positionMask[r][P - 1].item<bool>());                     // the first answer token
    }
  }

  void greedyTeacherResponsesEqualOneAtATimeAnswers() {
    // Batched by prompt length (sampleSequences) against answerHeldOut's incremental decoding.
    torch::manual_seed(8);
    const Tokenizer chars = CharTokenizer::fromText("abcdefgh=XY\n");
    auto teacher = makeModel(smallSpec("transformer"), chars.vocabSize(), 24);
    teacher->eval();
    std::vector<Example> examples;
    std::mt19937 rng(2);
    for (int i = 0; i < 1200; ++i) {  // prompt lengths 2…5: more than one batch (256) of each
      std::string prompt(1 + rng() % 4, 'a');
      for (auto& c : prompt) c = static_cast<char>('a' + rng() % 8);
      examples.push_back({prompt + "=", std::string(1 + rng() % 3, 'X'), "x:" + std::to_string(i)});
    }
    TeacherResponsesHeader header;
    header.rowLength = 25;
    header.count = 1100;
    header.temperature = 0.0;
    header.seed = 3;
    int64_t unfinished = -1;
    const auto responses = generateTeacherResponses(*teacher, chars, examples, "\n", header, &unfinished);
    QCOMPARE(responses.size(), size_t(1100));
    std::vector<Example> asked;
    for (const auto& r : responses) {
      const auto original = std::find_if(examples.begin(), examples.end(),
                                         [&](const Example& e) { return e.where == r.where; });
      QVERIFY(original != examples.end() && original->prompt == r.prompt);
      asked.push_back(*original);
    }
    const auto oneAtATime = answerHeldOut(*teacher, chars, asked, "\n", 1000, {});
    int64_t withoutEnd = 0;
    for (size_t i = 0; i < asked.size(); ++i) {
      QCOMPARE(responses[i].response, oneAtATime[i]);
      QVERIFY(responses[i].response.find('\n') == std::string::npos);
      withoutEnd += responses[i].response.size() == 2 * asked[i].response.size() + 1 ? 1 : 0;  // chars
    }
    QCOMPARE(unfinished, withoutEnd);  // an answer as long as its cap never reached the end marker
  }

  void teacherResponsesRoundTripThroughTheirFiles() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("teacher_responses.jsonl").toStdString();
    QCOMPARE(teacherResponsesSettingsPath(path),
             dir.filePath("teacher_responses.settings.json").toStdString());
    TeacherResponsesHeader header;
    header.corpusDigest = "c0ffee";
    header.teacherDigest = "beef";
    header.vocabSize = 12;
    header.rowLength = 33;
    header.count = 3;
    header.topK = 5;
    header.temperature = 0.7;
    header.seed = 18446744073709551557ull;
    const std::vector<Example> responses = {{"q: \"1\"=", "é\t", ""}, {"2=", "", ""}, {"3=", "x", ""}};
    saveTeacherResponses(path, header, responses);
    TeacherResponsesHeader read;
    const auto loaded = loadTeacherResponses(path, &read);
    QVERIFY(read == header);
    QCOMPARE(loaded.size(), size_t(3));
    for (size_t i = 0; i < 3; ++i) {
      QCOMPARE(loaded[i].prompt, responses[i].prompt);
      QCOMPARE(loaded[i].response, responses[i].response);  // an empty answer is an answer
    }
    // The answers are prompt_response data other runs can read.
    DataConfig data;
    data.format = DataFormat::PromptResponse;
    data.bad_records = BadRecords::Skip;
    BadRecordPolicy skip(BadRecords::Skip);
    QCOMPARE(readExamples(corpusFiles(path), data, skip).size(), size_t(2));
    header.teacherDigest = "other";
    QVERIFY(!(read == header));
    std::ofstream(path, std::ios::app) << "{\"prompt\": 1}\n";
    try {
      loadTeacherResponses(path, nullptr);
      QFAIL("a broken record was read");
    } catch (const EngineError& e) {
      QVERIFY2(QString(e.what()).contains("teacher_responses.jsonl:4"), e.what());
    }
  }

  void weightsDigestFollowsTheWeights() {
    torch::manual_seed(1);
    auto a = makeModel(smallSpec("gru"), 10, 8);
    torch::manual_seed(1);
    auto b = makeModel(smallSpec("gru"), 10, 8);
    QCOMPARE(weightsDigest(*a), weightsDigest(*b));
    {
      torch::NoGradGuard noGrad;
      b->parameters().front()[0].add_(1e-3);
    }
    QVERIFY(weightsDigest(*a) != weightsDigest(*b));
  }

  void sequenceAndOnPolicyStudentsLearnTheAnswers() {
    QTemporaryDir dir;
    const std::string corpus = writeFile(dir, "echo.jsonl", echoRecords());
    const std::string common =
        "data: {corpus: " + corpus +
        ", format: prompt_response, block_size: 31, val_fraction: 0.1}\n"
        "train: {steps: 150, batch_size: 16, lr: 0.01, warmup_steps: 5, eval_interval: 50, "
        "eval_batches: 4, threads: 1}\n"
        "generate: {prompts: [\"abc=\"], max_new_tokens: 3, held_out_prompts: 20}\n";
    RunLog first;
    const auto result =
        runIn(dir, "first",
              common +
                  "teacher: {layers: 1, heads: 2, embd: 32}\nstudents:\n"
                  "  - {name: seq, arch: transformer, layers: 1, heads: 2, embd: 16,\n"
                  "     distill: {regime: sequence, sample_temperature: 0, sequence_count: 300}}\n"
                  "  - {name: gkd, arch: transformer, layers: 1, heads: 2, embd: 16,\n"
                  "     distill: {regime: on_policy, on_policy_fraction: 0.5, hidden_loss: mse}}\n",
              first);
    QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());
    for (const char* model : {"teacher", "seq-kd", "gkd-kd"})
      QVERIFY2(first.valLoss[model] < 0.1,
               qPrintable(QString("%1: response loss %2").arg(model).arg(first.valLoss[model])));
    // The teacher answered 300 training prompts, nearly all as the data does.
    const std::string written = dir.filePath("first/teacher_responses.jsonl").toStdString();
    const auto answers = loadTeacherResponses(written, nullptr);
    QCOMPARE(answers.size(), size_t(300));
    int right = 0;
    for (const auto& a : answers)
      right += a.response == std::string(2, static_cast<char>('A' + (a.prompt[a.prompt.size() - 2] - 'a')))
                   ? 1
                   : 0;
    QVERIFY2(right >= 285, qPrintable(QString("%1 of 300").arg(right)));
    QCOMPARE(lines(written).size(), size_t(300));

    // The same teacher (its checkpoint) and settings read the answers back instead of generating.
    RunLog second;
    const std::string teacher = dir.filePath("first/checkpoints/teacher.pt").toStdString();
    const std::string student =
        "students:\n  - {name: seq, arch: gru, hidden: 16,\n"
        "     distill: {regime: sequence, sample_temperature: 0, sequence_count: 300, "
        "sequence_path: " +
        written + "}}\n";
    const auto reused =
        runIn(dir, "second", common + "teacher: {checkpoint: " + teacher + "}\n" + student, second);
    QVERIFY2(reused.status == RunResult::Status::Completed, reused.error.c_str());
    QVERIFY2(QString::fromStdString(second.messages)
                 .contains("teacher responses from " + QString::fromStdString(written)),
             second.messages.c_str());
    QVERIFY(!QFile::exists(dir.filePath("second/teacher_responses.jsonl")));
  }

  void validationAcceptsEveryRegimeAndFeatureLossOnExamples() {
    const auto loaded = parseExperiment(R"(
data: {corpus: x.jsonl, format: prompt_response}
students:
  - {name: a, distill: {regime: sequence}}
  - {name: b, distill: {regime: on_policy, hidden_loss: mse, attention_weight: 0.5}}
)",
                                        ".");
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.problems.front().message.c_str());
  }
};

QTEST_APPLESS_MAIN(TestResponseDistillation)
#include "tst_response_distillation.moc"
