// run.json: every run records what produced it — build, machine, command, times, seed and the
// SHA-256 of its inputs — and a one-byte change of the corpus changes the corpus's digest.
#include <torch/torch.h>

#include <QtTest>
#include <filesystem>
#include <fstream>

#include "distill/experiment.h"
#include "distill/provenance.h"
#include "distill/run_reader.h"
#include "store/provenance.h"
#include "util/crc32c.h"
#include "util/sha256.h"

using namespace distill;

namespace {

void writeText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

/// A corpus long enough for a few tiny steps: the first 60 kB of the shipped one.
std::string corpusText() {
  std::ifstream in(DISTILL_PROJECT_DIR "/resources/data/tinyshakespeare.txt", std::ios::binary);
  std::string text(60000, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

ExperimentConfig tinyExperiment(const std::string& corpus) {
  auto loaded = parseExperiment(R"(
name: provenance
data: {block_size: 16}
teacher: {layers: 1, heads: 2, embd: 16}
students: [{name: s, arch: gru, embd: 8, hidden: 8}]
train: {steps: 4, batch_size: 4, warmup_steps: 1, eval_interval: 4, eval_batches: 1, threads: 1}
generate: {prompts: ["A"], max_new_tokens: 2}
)",
                                ".", {"data.corpus=" + corpus});
  if (!loaded.ok()) qFatal("invalid: %s", loaded.problems.front().message.c_str());
  return loaded.config;
}

}  // namespace

class TestProvenance : public QObject {
  Q_OBJECT
private slots:
  // FIPS 180-4's example, and the empty text.
  void sha256MatchesTheStandardsVectors() {
    QCOMPARE(sha256OfText("abc"),
             std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    QCOMPARE(sha256OfText(""),
             std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  }

  // CRC-32C's check value (RFC 3720's polynomial), and TFRecord's masking of it.
  void crc32cMatchesTheCheckValue() {
    QCOMPARE(crc32c("123456789", 9), 0xE3069283u);
    const uint32_t crc = 0xE3069283u;
    QCOMPARE(maskedCrc32c("123456789", 9), ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
  }

  void aRunRecordsWhatProducedIt() {
    QTemporaryDir tmp;
    const std::string corpus = tmp.filePath("corpus.txt").toStdString();
    writeText(corpus, corpusText());
    const std::string experiment = tmp.filePath("exp.yaml").toStdString();
    writeText(experiment, "name: provenance\n");
    RunOptions options;
    options.outDir = tmp.filePath("run").toStdString();
    options.experimentFile = experiment;
    options.measureSpeed = false;
    RunObserver quiet;
    RunControl control;
    const auto result = runExperiment(tinyExperiment(corpus), options, quiet, control);
    QVERIFY2(result.status == RunResult::Status::Completed, result.error.c_str());
    const auto fields = readProvenance(options.outDir);
    for (const char* key : {"build.version", "build.libtorch", "build.libtorch_source", "build.build_type",
                            "machine.host", "machine.os", "machine.kernel", "machine.cpu", "machine.cores",
                            "machine.device", "machine.precision", "machine.threads", "command_line",
                            "started", "ended", "seed", "inputs.config_sha256", "inputs.tokenizer.spec"})
      QVERIFY2(!provenanceValue(fields, key).empty(), key);
    QCOMPARE(provenanceValue(fields, "status"), std::string("completed"));
    QCOMPARE(provenanceValue(fields, "machine.threads"), std::string("1"));
    QCOMPARE(provenanceValue(fields, "seed"), std::string("1337"));
    QCOMPARE(provenanceValue(fields, "inputs.corpus.sha256"), sha256OfText(corpusText()));
    QCOMPARE(provenanceValue(fields, "inputs.experiment_file.sha256"), sha256OfText("name: provenance\n"));
    // The runs panel and `distill runs` read it with the rest of the run.
    QCOMPARE(readRunSummary(options.outDir).provenance.size(), fields.size());
    // TensorBoard's file sits beside it (read back by tensorboard itself: tests/python).
    QVERIFY(QDir(QString::fromStdString(options.outDir)).entryList({"events.out.tfevents.*"}).size() == 1);
  }

  void oneChangedByteOfTheCorpusChangesItsDigest() {
    QTemporaryDir tmp;
    const std::string corpus = tmp.filePath("corpus.txt").toStdString();
    std::string text = corpusText();
    writeText(corpus, text);
    const ComputeFacts facts;
    const auto before = collectProvenance(tinyExperiment(corpus), RunOptions(), facts);
    text[30000] ^= 1;
    writeText(corpus, text);
    const auto after = collectProvenance(tinyExperiment(corpus), RunOptions(), facts);
    QVERIFY(before["inputs"]["corpus"]["sha256"] != after["inputs"]["corpus"]["sha256"]);
    QCOMPARE(before["inputs"]["corpus"]["bytes"], after["inputs"]["corpus"]["bytes"]);
    QCOMPARE(before["inputs"]["config_sha256"], after["inputs"]["config_sha256"]);
  }

  void differencesLeaveOutWhatAlwaysDiffers() {
    const std::vector<ProvenanceField> a = {{"started", "t1"}, {"machine.threads", "2"}, {"seed", "1"}};
    const std::vector<ProvenanceField> b = {
        {"started", "t2"}, {"machine.threads", "1"}, {"inputs.x", "y"}, {"seed", "1"}};
    const auto d = provenanceDifferences(a, b);
    QCOMPARE(d.size(), size_t(2));
    QCOMPARE(d[0].key, std::string("machine.threads"));
    QCOMPARE(d[1].key, std::string("inputs.x"));
    QCOMPARE(d[1].first, std::string());
  }
};

QTEST_GUILESS_MAIN(TestProvenance)
#include "tst_provenance.moc"
