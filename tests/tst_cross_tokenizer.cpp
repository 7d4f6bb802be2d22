// Students with their own tokenizer: text moves between vocabularies by decoding and
// re-encoding (rows aligned by order for ULD, sequences re-cut into rows), and a run trains
// character-level students under a BPE teacher, measures them in bits per character, saves them
// with their own tokenizer and resumes where it stopped.
#include <torch/torch.h>

#include <QtTest>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "distill/experiment.h"
#include "distill/generation.h"
#include "kd/cross_tokenizer.h"
#include "tokenizers/tokenizer.h"

using namespace distill;

namespace {

const std::string kBpe = DISTILL_FIXTURES_DIR "/bpe512";

std::string experimentText() {
  return "data: {corpus: " DISTILL_PROJECT_DIR "/resources/data/tinyshakespeare.txt, tokenizer: " + kBpe +
         R"(, block_size: 16}
teacher: {layers: 1, heads: 2, embd: 32}
students:
  - {name: uld, arch: gru, embd: 16, hidden: 16, tokenizer: char, distill: {loss: uld}}
  - {name: seq, arch: gru, embd: 16, hidden: 16, tokenizer: char, scratch_twin: false,
     distill: {regime: sequence, alpha: 0, sequence_count: 40, prefix_tokens: 4}}
train: {steps: 20, student_steps: 16, batch_size: 4, lr: 0.01, warmup_steps: 2, eval_interval: 8,
        eval_batches: 2, threads: 1, checkpoint_interval: 5}
generate: {prompts: ["ROMEO:"], max_new_tokens: 6}
)";
}

nlohmann::json summaryOf(const std::string& dir) {
  std::ifstream in(dir + "/summary.json");
  return nlohmann::json::parse(in);
}

/// Cancels the run once the students' phase reports step `step`.
class StopStudentsAt : public RunObserver {
public:
  StopStudentsAt(RunControl& control, int step) : m_control(control), m_step(step) {}
  void onProgress(const ProgressInfo& p) override {
    if (p.phase == RunPhase::Students && p.step == m_step) m_control.cancel();
  }

private:
  RunControl& m_control;
  int m_step;
};

}  // namespace

class TestCrossTokenizer : public QObject {
  Q_OBJECT
private slots:
  // A char row re-encoded by BPE is BPE's encoding of the same text, cut at T, the rest masked.
  void rowsAreTheSameTextInTheOtherTokens() {
    const auto bpe = Tokenizer::load(kBpe);
    const Tokenizer chars(CharTokenizer::fromText("ROMEO: the quick brown fox\n"));
    const std::string text = "ROMEO: the quick brown fox";
    const auto ids = chars.encode(text);
    const auto row = torch::tensor(ids, torch::kInt64).unsqueeze(0);
    const auto rows = retokenizeRows(row, chars, bpe);
    const auto expected = bpe.encode(text);
    QVERIFY(expected.size() < ids.size());  // BPE holds the same text in fewer tokens
    QCOMPARE(rows.ids.sizes(), row.sizes());
    QCOMPARE(rows.mask.sum().item<int64_t>(), static_cast<int64_t>(expected.size()));
    for (size_t t = 0; t < expected.size(); ++t)
      QCOMPARE(rows.ids[0][static_cast<int64_t>(t)].item<int64_t>(), expected[t]);
    // The other way round: BPE's tokens as characters, the first T of them.
    const auto back = retokenizeRows(torch::tensor(expected, torch::kInt64).unsqueeze(0), bpe, chars);
    QVERIFY(back.mask.all().item<bool>());
    QCOMPARE(chars.decode(std::vector<int64_t>(back.ids.data_ptr<int64_t>(),
                                               back.ids.data_ptr<int64_t>() + back.ids.numel())),
             text.substr(0, expected.size()));
  }

  // Characters a tokenizer cannot encode are left out, not fatal.
  void unknownCharactersAreLeftOut() {
    const Tokenizer chars(CharTokenizer::fromText("abc"));
    QCOMPARE(encodeLeniently(chars, "abxc\xff"), chars.encode("abc"));
  }

  // The teacher's sequences as whole rows of the student's tokens: each row's text re-encoded, cut
  // into rows of the length asked for, the rest of a row left out.
  void sequencesAreReCutIntoWholeRows() {
    const auto bpe = Tokenizer::load(kBpe);
    const Tokenizer chars(CharTokenizer::fromText("abcdefghijklmnopqrstuvwxyz "));
    SequenceSet set;
    set.tokens =
        torch::stack({torch::tensor(bpe.encode("the quick brown fox jumps"), torch::kInt64).slice(0, 0, 5),
                      torch::tensor(bpe.encode("over the lazy dog again"), torch::kInt64).slice(0, 0, 5)});
    const auto out = retokenizeSequences(set, bpe, chars, 4);
    int64_t expectedRows = 0;
    std::vector<int64_t> expected;
    for (int64_t i = 0; i < 2; ++i) {
      const auto row = set.tokens[i].contiguous();
      const auto ids = chars.encode(
          bpe.decode(std::vector<int64_t>(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + 5)));
      expectedRows += static_cast<int64_t>(ids.size() / 4);
      expected.insert(expected.end(), ids.begin(), ids.begin() + static_cast<long>(ids.size() / 4 * 4));
    }
    QCOMPARE(out.tokens.size(0), expectedRows);
    QCOMPARE(out.tokens.size(1), int64_t(4));
    const auto flat = out.tokens.contiguous();
    QCOMPARE(std::vector<int64_t>(flat.data_ptr<int64_t>(), flat.data_ptr<int64_t>() + flat.numel()),
             expected);
  }

  // Character students under a BPE teacher: their own vocabulary, bits per character for every
  // model, no agreement across vocabularies, checkpoints that generate with their own tokenizer,
  // and a run stopped in the students' phase resumes to the same end.
  void charStudentsUnderABpeTeacherTrainAndResume() {
    QTemporaryDir dir;
    const std::string root = dir.path().toStdString();
    const auto loaded = parseExperiment(experimentText(), ".");
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.problems.front().message.c_str());
    RunOptions options;
    options.measureSpeed = false;
    RunObserver quiet;
    {
      RunControl control;
      options.outDir = root + "/whole";
      const auto result = runExperiment(loaded.config, options, quiet, control);
      QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());
    }
    {
      RunControl control;
      StopStudentsAt stop(control, 7);
      options.outDir = root + "/stopped";
      QVERIFY(runExperiment(loaded.config, options, stop, control).status == RunResult::Status::Cancelled);
      RunControl again;
      const auto resumed = resumeExperiment(root + "/stopped", options, quiet, again);
      QVERIFY2(resumed.status == RunResult::Status::Completed, resumed.error.c_str());
    }
    const auto whole = summaryOf(root + "/whole")["models"];
    const auto stopped = summaryOf(root + "/stopped")["models"];
    for (const char* model : {"teacher", "uld-kd", "uld-scratch", "seq-kd"}) {
      QVERIFY2(std::isfinite(whole[model]["bits_per_char"].get<double>()), model);
      QVERIFY2(
          std::abs(whole[model]["val_loss"].get<double>() - stopped[model]["val_loss"].get<double>()) < 1e-9,
          model);
    }
    QVERIFY(whole["uld-kd"]["agreement"].is_null());  // no argmax to agree on across vocabularies
    QVERIFY(whole["uld-kd"]["val_loss"].get<double>() != whole["uld-scratch"]["val_loss"].get<double>());
    TextGenerator student(checkpointPathFor(root + "/whole", "uld-kd"));
    TextGenerator teacher(checkpointPathFor(root + "/whole", "teacher"));
    QVERIFY(student.parameterCount() < teacher.parameterCount());
    SamplingOptions greedy;
    greedy.maxNewTokens = 5;
    greedy.greedy = true;
    const auto text = student.generate("ROMEO:", greedy);
    QCOMPARE(text.ids.size(), size_t(5));
    QCOMPARE(QString::fromStdString(text.text).size(), 5);  // five characters: its own tokenizer's
  }
};

QTEST_GUILESS_MAIN(TestCrossTokenizer)
#include "tst_cross_tokenizer.moc"
