// Batched sampling and sequence-level KD's teacher sequence set: generation, file round trip,
// damaged files, batches.
#include <torch/torch.h>

#include <QtTest>
#include <fstream>

#include "distill/errors.h"
#include "kd/teacher_sequences.h"
#include "model_specs.h"
#include "models/model_factory.h"
#include "models/sampling.h"

using namespace distill;

class TestTeacherSequences : public QObject {
  Q_OBJECT
private slots:
  void greedyBatchedSamplingMatchesOneRowAtATime_data() { addModelSpecRows(); }
  void greedyBatchedSamplingMatchesOneRowAtATime() {
    QFETCH(QString, arch);
    torch::manual_seed(5);
    auto model = makeModel(smallSpec(arch), 13, 16);
    auto prefix = torch::randint(0, 13, {3, 4}, torch::kInt64);
    auto generator = makeSamplingGenerator(1);
    const auto rows = sampleSequences(*model, prefix, 17, 0.0, 0, generator);  // block 16 + 1
    QCOMPARE(rows.sizes(), torch::IntArrayRef({3, 17}));
    QVERIFY(torch::equal(rows.slice(1, 0, 4), prefix));
    SamplingOptions greedy{13, 1.0, 0, 1.0, 0, true};
    for (int64_t r = 0; r < 3; ++r) {
      std::vector<int64_t> p(prefix[r].data_ptr<int64_t>(), prefix[r].data_ptr<int64_t>() + 4);
      const auto expected = generateIds(*model, p, greedy);
      for (size_t i = 0; i < expected.size(); ++i)
        QCOMPARE(rows[r][4 + static_cast<int64_t>(i)].item<int64_t>(), expected[i]);
    }
  }

  void samplingIsReproducibleAndTopOneIsGreedy() {
    torch::manual_seed(6);
    auto model = makeModel(smallSpec("transformer"), 13, 16);
    auto prefix = torch::randint(0, 13, {4, 2}, torch::kInt64);
    auto g1 = makeSamplingGenerator(9), g2 = makeSamplingGenerator(9), g3 = makeSamplingGenerator(9);
    QVERIFY(torch::equal(sampleSequences(*model, prefix, 12, 1.0, 0, g1),
                         sampleSequences(*model, prefix, 12, 1.0, 0, g2)));
    auto greedy = makeSamplingGenerator(0);
    QVERIFY(torch::equal(sampleSequences(*model, prefix, 12, 1.0, 1, g3),
                         sampleSequences(*model, prefix, 12, 0.0, 0, greedy)));
    QVERIFY(model->is_training());  // mode restored
  }

  void sequenceSetRoundTripsThroughItsFile() {
    torch::manual_seed(7);
    auto teacher = makeModel(smallSpec("transformer"), 13, 16);
    const auto corpus = torch::randint(0, 13, {500}, torch::kInt64);
    SequenceSetHeader header;
    header.vocabSize = 13;
    header.length = 17;
    header.count = 70;  // more than one chunk
    header.prefix = 3;
    header.seed = 11;
    int64_t lastDone = -1;
    const auto set = generateSequenceSet(*teacher, corpus, header, [&](int64_t done) {
      lastDone = done;
      return true;
    });
    QCOMPARE(set.sizes(), torch::IntArrayRef({70, 17}));
    QCOMPARE(lastDone, int64_t(70));
    // Every prefix is a window of the corpus.
    const auto corpusList =
        std::vector<int64_t>(corpus.data_ptr<int64_t>(), corpus.data_ptr<int64_t>() + 500);
    for (int64_t r = 0; r < 70; r += 23) {
      const auto row = set[r];
      const std::vector<int64_t> prefix(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + 3);
      QVERIFY(std::search(corpusList.begin(), corpusList.end(), prefix.begin(), prefix.end()) !=
              corpusList.end());
    }
    QTemporaryDir dir;
    const auto path = dir.filePath("set.bin").toStdString();
    saveSequenceSet(path, header, set);
    SequenceSetHeader read;
    QVERIFY(torch::equal(loadSequenceSet(path, &read), set));
    QVERIFY(read == header);
  }

  void cancelledGenerationReturnsNothing() {
    auto teacher = makeModel(smallSpec("transformer"), 13, 16);
    SequenceSetHeader header;
    header.vocabSize = 13;
    header.length = 17;
    header.count = 200;
    header.prefix = 3;
    const auto set = generateSequenceSet(*teacher, torch::randint(0, 13, {300}, torch::kInt64), header,
                                         [](int64_t done) { return done < 64; });
    QVERIFY(!set.defined());
  }

  void damagedFilesGetAClearError() {
    QTemporaryDir dir;
    const auto path = dir.filePath("set.bin").toStdString();
    SequenceSetHeader header;
    header.vocabSize = 5;
    header.length = 4;
    header.count = 3;
    saveSequenceSet(path, header, torch::randint(0, 5, {3, 4}, torch::kInt64));
    std::string bytes;
    {
      std::ifstream in(path, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    auto expectError = [&](const std::string& content, const char* fragment) {
      std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
      try {
        loadSequenceSet(path, nullptr);
        QFAIL("no error");
      } catch (const EngineError& e) {
        QVERIFY2(std::string(e.what()).find(fragment) != std::string::npos, e.what());
        QVERIFY2(std::string(e.what()).find(path) != std::string::npos, e.what());
      }
    };
    expectError(bytes.substr(0, bytes.size() - 4), "truncated");
    expectError("hello world", "bad magic");
    auto badId = bytes;
    badId[64] = 9;  // first id: 9 ≥ vocab 5
    expectError(badId, "outside its vocabulary");
  }

  void samplerShiftsWholeSequences() {
    const auto set = torch::arange(30, torch::kInt64).reshape({3, 10});
    SequenceSampler sampler({set, {}}, 4, 1);
    const auto b = sampler.next();
    QCOMPARE(b.x.sizes(), torch::IntArrayRef({4, 9}));
    QVERIFY(torch::equal(b.x.slice(1, 1, 9), b.y.slice(1, 0, 8)));
    QVERIFY(torch::equal(b.x.select(1, 0) % 10, torch::zeros({4}, torch::kInt64)));  // starts of rows
    QVERIFY(!b.mask.defined());  // running text: every target counts
  }

  void samplerMasksTheTargetsOfResponseTokens() {
    // The teacher's answers to prompts: a target counts when the token it predicts is a response's.
    const auto set = torch::arange(30, torch::kInt64).reshape({3, 10});
    const auto flags = (set % 10 >= 4).to(torch::kInt64);  // tokens 4… of every row are the answer
    SequenceSampler sampler({set, flags}, 5, 2);
    const auto b = sampler.next();
    QCOMPARE(b.mask.sizes(), b.y.sizes());
    QCOMPARE(b.mask.scalar_type(), torch::kBool);
    QVERIFY(torch::equal(b.mask, b.y % 10 >= 4));
  }
};

QTEST_APPLESS_MAIN(TestTeacherSequences)
#include "tst_teacher_sequences.moc"
