// Prompt/response examples: records read and checked with file and line, chat turns rendered,
// examples packed whole into rows with their response flags, batches carrying the target mask,
// and a whole run whose losses count the responses alone.
#include <torch/torch.h>

#include <QtTest>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>

#include "data/corpus.h"
#include "distill/errors.h"
#include "distill/experiment.h"
#include "distill/run_reader.h"
#include "distill/text_metrics.h"
#include "run/held_out_answers.h"
#include "temp_files.h"

using namespace distill;

namespace {

DataConfig examplesData(const std::string& corpus, BadRecords policy = BadRecords::Stop) {
  DataConfig data;
  data.corpus = corpus;
  data.format = DataFormat::PromptResponse;
  data.bad_records = policy;
  data.block_size = 15;
  return data;
}

std::vector<Example> read(const DataConfig& data, BadRecordPolicy& policy) {
  return readExamples(corpusFiles(data.corpus), data, policy);
}

/// The message readExamples throws for `data` ("" when it does not throw).
QString readError(const DataConfig& data) {
  try {
    BadRecordPolicy policy(data.bad_records);
    read(data, policy);
  } catch (const EngineError& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

/// The validation losses a run reports, per model.
class ValLosses : public RunObserver {
public:
  void onMetrics(const std::vector<MetricPoint>& points) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (const auto& p : points)
      if (p.name == "val/loss") values[p.model].push_back(p.value);
  }
  std::map<std::string, std::vector<double>> values;

private:
  std::mutex m_mutex;
};

std::vector<int64_t> slice(const std::vector<int64_t>& v, size_t begin, size_t n) {
  return {v.begin() + static_cast<long>(begin), v.begin() + static_cast<long>(begin + n)};
}

}  // namespace

class TestPromptResponse : public QObject {
  Q_OBJECT
private slots:
  void recordsGiveExamplesWithConfiguredFields() {
    QTemporaryDir dir;
    auto data = examplesData(
        writeFile(dir, "a.jsonl", "{\"q\": \"1+1=\", \"a\": \"2\"}\n\n{\"q\": \"x\", \"a\": \"y\"}\r\n"));
    data.prompt_field = "q";
    data.response_field = "a";
    BadRecordPolicy policy(BadRecords::Stop);
    const auto examples = read(data, policy);
    QCOMPARE(examples.size(), size_t(2));
    QCOMPARE(examples[0].prompt, std::string("1+1="));
    QCOMPARE(examples[0].response, std::string("2"));
    QCOMPARE(examples[1].response, std::string("y"));  // the CR of a CRLF line is not text
    QVERIFY(QString::fromStdString(examples[1].where).endsWith("a.jsonl:3"));
  }

  void chatTurnsRenderByTheTemplate() {
    const auto rendered = renderMessages(nlohmann::json::parse(
        R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."}])"));
    QVERIFY(rendered.problem.empty());
    QCOMPARE(rendered.example.prompt, std::string("system: Be brief.\nuser: Hi\nassistant: "));
    QCOMPARE(rendered.example.response, std::string("Hello."));
    const auto userLast = renderMessages(nlohmann::json::parse(R"([{"role": "user", "content": "Hi"}])"));
    QVERIFY(QString::fromStdString(userLast.problem).contains("must be the assistant's"));
    QVERIFY(!renderMessages(nlohmann::json::parse(R"([{"role": "user"}])")).problem.empty());
    QVERIFY(!renderMessages(nlohmann::json::parse("[]")).problem.empty());
  }

  void badRecordsStopNamingFileAndLine_data() {
    QTest::addColumn<QString>("line");
    QTest::addColumn<QString>("problem");
    QTest::newRow("missing field") << R"({"prompt": "p"})"
                                   << "no field \"response\"";
    QTest::newRow("not a string") << R"({"prompt": "p", "response": 3})"
                                  << "the field \"response\" is not a string";
    QTest::newRow("empty response") << R"({"prompt": "p", "response": ""})"
                                    << "the response is empty";
    QTest::newRow("not JSON") << "{\"prompt\": \"p\", \"response"
                              << "not a JSON record";
    QTest::newRow("not an object") << R"(["p", "r"])"
                                   << "not a JSON object";
  }
  void badRecordsStopNamingFileAndLine() {
    QFETCH(QString, line);
    QFETCH(QString, problem);
    QTemporaryDir dir;
    const auto data = examplesData(writeFile(
        dir, "bad.jsonl", "{\"prompt\": \"a\", \"response\": \"b\"}\n" + line.toStdString() + "\n"));
    const auto error = readError(data);
    QVERIFY2(error.contains("bad.jsonl:2: " + problem), qPrintable(error));
    QVERIFY(error.contains("data.bad_records: skip"));
  }

  void badRecordsAreSkippedAndCounted() {
    QTemporaryDir dir;
    const auto data = examplesData(writeFile(dir, "bad.jsonl",
                                             "{\"prompt\": \"a\", \"response\": \"b\"}\n"
                                             "{\"prompt\": \"a\"}\n"
                                             "{\"prompt\": \"c\", \"response\": \"d\"}\n"
                                             "{\"prompt\": \"a\", \"response\": \"\"}\n"),
                                   BadRecords::Skip);
    BadRecordPolicy policy(data.bad_records);
    const auto examples = read(data, policy);
    QCOMPARE(examples.size(), size_t(2));
    QCOMPARE(policy.skipped(), int64_t(2));
    QVERIFY(QString::fromStdString(policy.firstSkipped()).contains("bad.jsonl:2: no field"));
  }

  void packingKeepsEveryExampleWholeAndFlagsItsResponse() {
    const auto tokenizer = Tokenizer(CharTokenizer::fromText("abcdefgh=\n"));
    DataConfig data = examplesData("");
    std::vector<Example> examples = {{"ab=", "cd", "f:1"}, {"abc=", "defg", "f:2"}, {"a=", "b", "f:3"}};
    BadRecordPolicy policy(BadRecords::Stop);
    const int64_t rowLength = 10;
    const auto packed = packExamples(examples, tokenizer, data, rowLength, policy);
    // "ab=cd\n" (6) fits row 0; "abc=defg\n" (9) does not fit beside it: row 1; "a=b\n" (4): row 2.
    QCOMPARE(packed.rows, int64_t(3));
    QCOMPARE(packed.examples, int64_t(3));
    QCOMPARE(packed.tokens.size(), size_t(30));
    QCOMPARE(packed.response.size(), size_t(30));
    QCOMPARE(tokenizer.decode(slice(packed.tokens, 0, 6)), std::string("ab=cd\n"));
    QCOMPARE(tokenizer.decode(slice(packed.tokens, 10, 9)), std::string("abc=defg\n"));
    QCOMPARE(tokenizer.decode(slice(packed.tokens, 20, 4)), std::string("a=b\n"));
    const std::vector<int64_t> row0 = {0, 0, 0, 1, 1, 1, 0, 0, 0, 0};
    QCOMPARE(slice(packed.response, 0, 10), row0);
    const std::vector<int64_t> row1 = {0, 0, 0, 0, 1, 1, 1, 1, 1, 0};
    QCOMPARE(slice(packed.response, 10, 10), row1);
    QCOMPARE(packed.responseTokens, int64_t(3 + 5 + 2));
    QCOMPARE(packed.truncated, int64_t(0));
  }

  void packingMarksResponsesCutAtTheRowEnd() {
    const auto tokenizer = Tokenizer(CharTokenizer::fromText("abcdefgh=\n"));
    std::vector<Example> examples = {{"a=", "bcdefghabc", "f:1"}};
    BadRecordPolicy policy(BadRecords::Stop);
    const auto packed = packExamples(examples, tokenizer, examplesData(""), 6, policy);
    QCOMPARE(packed.truncated, int64_t(1));
    QCOMPARE(tokenizer.decode(packed.tokens), std::string("a=bcde"));
    const std::vector<int64_t> flags = {0, 0, 1, 1, 1, 1};
    QCOMPARE(packed.response, flags);
  }

  void aPromptThatFillsTheRowIsABadRecord() {
    const auto tokenizer = Tokenizer(CharTokenizer::fromText("abcdefgh=\n"));
    std::vector<Example> examples = {{"abcdef=", "a", "f.jsonl:7"}, {"a=", "b", "f.jsonl:8"}};
    try {
      BadRecordPolicy stop(BadRecords::Stop);
      packExamples(examples, tokenizer, examplesData(""), 7, stop);
      QFAIL("a prompt of a whole row was packed");
    } catch (const EngineError& e) {
      QVERIFY2(QString(e.what()).contains("f.jsonl:7: the prompt is 7 tokens"), e.what());
    }
    BadRecordPolicy skip(BadRecords::Skip);
    const auto packed = packExamples(examples, tokenizer, examplesData(""), 7, skip);
    QCOMPARE(packed.examples, int64_t(1));
    QCOMPARE(skip.skipped(), int64_t(1));
  }

  void batchesAreWholeRowsWithTheTargetMask() {
    // Rows of 5 tokens; the response flags say which tokens the targets may be.
    const auto tokens = torch::arange(20, torch::kInt64);
    const auto flags =
        torch::tensor({0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0}, torch::kInt64);
    BatchSampler sampler(TokenStream(tokens), 4, 8, 3, TokenStream(flags));
    for (int i = 0; i < 5; ++i) {
      const auto batch = sampler.next();
      QCOMPARE(batch.mask.sizes(), batch.y.sizes());
      for (int64_t r = 0; r < batch.x.size(0); ++r) {
        const auto first = batch.x[r][0].item<int64_t>();
        QCOMPARE(first % 5, int64_t(0));  // a row's start, never inside one
        for (int64_t t = 0; t < 4; ++t)   // target t is token first + t + 1: its flag decides
          QCOMPARE(batch.mask[r][t].item<bool>(), flags[first + t + 1].item<int64_t>() == 1);
      }
    }
    const auto fixed = fixedBatches(TokenStream(tokens), 4, 3, 10, 0, TokenStream(flags));
    QCOMPARE(fixed.size(), size_t(2));  // 4 rows, 3 per batch: every row once
    QCOMPARE(fixed[0].x.size(0), int64_t(3));
    QCOMPARE(fixed[1].x[0][0].item<int64_t>(), int64_t(15));
  }

  void exampleCorpusSplitsTokenizesAndReportsItsExamples() {
    QTemporaryDir dir;
    std::string train, test;
    for (int i = 0; i < 40; ++i)
      train +=
          "{\"prompt\": \"" + std::to_string(i) + "+1=\", \"response\": \"" + std::to_string(i + 1) + "\"}\n";
    train += "{\"prompt\": \"9+9=\"}\n";
    test = "{\"prompt\": \"50+1=\", \"response\": \"51\"}\n{\"prompt\": \"70+1=\", \"response\": \"71\"}\n";
    auto data = examplesData(writeFile(dir, "train.jsonl", train), BadRecords::Skip);
    data.val_corpus = writeFile(dir, "test.jsonl", test);
    const auto corpus = loadCorpus(data);
    QCOMPARE(corpus.documents, int64_t(42));
    QCOMPARE(corpus.valExamples.size(), size_t(2));
    QCOMPARE(corpus.valExamples[1].response, std::string("71"));
    QCOMPARE(corpus.train.size() % 16, int64_t(0));  // whole rows of block_size + 1
    QCOMPARE(corpus.trainResponse.size(), corpus.train.size());
    QCOMPARE(corpus.valResponse.size(), corpus.val.size());
    QCOMPARE(corpus.tokenizer.encode("\n").size(), size_t(1));  // response_end is in the vocabulary
    const auto note = QString::fromStdString(corpus.facts.note);
    QVERIFY2(note.contains("40 training and 2 held-out examples") && note.contains("1 records skipped"),
             qPrintable(note));
    // Another end marker is other data: the digest differs.
    auto renamed = data;
    renamed.response_end = ";";
    QVERIFY(loadCorpus(renamed).sha256 != corpus.sha256);
  }

  void aRunTrainsOnResponsesAlone() {
    // Prompts are noise the model cannot predict; responses are a function of the prompt's last
    // character. Counting only responses the loss falls near 0; counting the prompts too, it could
    // not fall below 6 · ln(8) / 10 ≈ 1.25 per token.
    QTemporaryDir dir;
    const std::string lines = echoRecords();
    auto loaded = parseExperiment(R"(
data: {corpus: )" + writeFile(dir, "echo.jsonl", lines) +
                                      R"(, format: prompt_response, block_size: 31, val_fraction: 0.1}
teacher: {layers: 1, heads: 2, embd: 32}
students: [{name: s, arch: transformer, layers: 1, heads: 2, embd: 16}]
train: {steps: 150, batch_size: 16, lr: 0.01, warmup_steps: 5, eval_interval: 50, eval_batches: 4, threads: 1}
generate: {prompts: ["abc="], max_new_tokens: 3}
)",
                                  ".");
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.problems.front().message.c_str());
    ValLosses losses;
    RunControl control;
    RunOptions options;
    options.outDir = dir.filePath("run").toStdString();
    const auto result = runExperiment(loaded.config, options, losses, control);
    QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());
    for (const char* model : {"teacher", "s-kd", "s-scratch"}) {
      const auto& val = losses.values[model];
      QVERIFY2(val.size() >= 2, model);
      QVERIFY2(val.back() < 0.1, qPrintable(QString("%1: response loss %2").arg(model).arg(val.back())));
    }
    // Every model answered the held-out prompts; the teacher, near loss 0, answers them right.
    QFile summaryFile(dir.filePath("run/summary.json"));
    QVERIFY(summaryFile.open(QIODevice::ReadOnly));
    const auto summary = nlohmann::json::parse(summaryFile.readAll().toStdString());
    const auto& teacher = summary["models"]["teacher"]["held_out_answers"];
    QVERIFY2(teacher["examples"].get<int>() >= 20, teacher.dump().c_str());
    QVERIFY2(teacher["exact_match"].get<double>() > 0.9, teacher.dump().c_str());
    QVERIFY(teacher["exact_match_teacher"].is_null());
    QVERIFY(summary["models"]["s-kd"]["held_out_answers"]["exact_match_teacher"].is_number());
    const auto answered = readHeldOutAnswers(dir.filePath("run").toStdString());
    QCOMPARE(static_cast<int>(answered.size()), teacher["examples"].get<int>());
    QCOMPARE(answered.front().reference.size(), size_t(2));
    QCOMPARE(answered.front().answers.size(), size_t(3));
    const char* order[] = {"teacher", "s-kd", "s-scratch"};  // the run's order
    for (size_t i = 0; i < 3; ++i) QCOMPARE(answered.front().answers[i].first, std::string(order[i]));
    QFile methods(dir.filePath("run/methods.csv"));
    QVERIFY(methods.open(QIODevice::ReadOnly));
    QVERIFY(methods.readLine().trimmed().endsWith(",exact_match,rouge_l"));
  }

  void answersAreScoredAgainstReferencesAndTheTeacher() {
    const std::vector<Example> examples = {
        {"1+1=", "2", ""}, {"q", "the cat sat", ""}, {"2+2=", "4", ""}, {"r", "a b c d", ""}};
    const std::vector<std::string> teacher = {"2", "the cat sat", "5", "a b c d"};
    const std::vector<std::string> student = {" 2 ", "the dog sat", "5", "a c"};
    const auto scores = scoreAnswers(student, examples, &teacher);
    QCOMPARE(scores.examples, 4);
    QCOMPARE(scores.exactMatch, 1.0 / 4.0);         // " 2 " is "2" once trimmed
    QCOMPARE(scores.exactMatchTeacher, 2.0 / 4.0);  // "2" and "5"
    // ROUGE-L F1: 1; LCS 2 of 3 and 3 words: 2/3; 0; LCS "a c": P 1, R 1/2: 2/3.
    QVERIFY(std::abs(scores.rougeL - (1.0 + 2.0 / 3.0 + 0.0 + 2.0 / 3.0) / 4.0) < 1e-12);
    QVERIFY(std::abs(scores.rougeLTeacher - (1.0 + 2.0 / 3.0 + 1.0 + 2.0 / 3.0) / 4.0) < 1e-12);
    const auto alone = scoreAnswers(teacher, examples, nullptr);
    QCOMPARE(alone.exactMatch, 3.0 / 4.0);
    QVERIFY(std::isnan(alone.exactMatchTeacher));
    QVERIFY(exactMatch("98\n", "98") && !exactMatch("98", "9 8"));
  }

  void textCorporaAndOtherFormatsAreRefused() {
    QTemporaryDir dir;
    const auto data = examplesData(writeFile(dir, "plain.txt", "some text\n"));
    try {
      loadCorpus(data);
      QFAIL("a .txt file was read as examples");
    } catch (const EngineError& e) {
      QVERIFY2(QString(e.what()).contains("reads JSON Lines"), e.what());
    }
  }

  void heldOutFilesNeedExamples() {
    const auto text = parseExperiment("data: {val_corpus: test.jsonl}\n", ".");
    QVERIFY(!text.ok());
    QCOMPARE(text.problems.front().key, std::string("data.val_corpus"));
    const auto noEnd =
        parseExperiment("data: {corpus: x.jsonl, format: messages, response_end: \"\"}\n", ".");
    QVERIFY(!noEnd.ok());
    QCOMPARE(noEnd.problems.front().key, std::string("data.response_end"));
  }
};

QTEST_APPLESS_MAIN(TestPromptResponse)
#include "tst_prompt_response.moc"
