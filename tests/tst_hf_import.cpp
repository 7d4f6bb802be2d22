// Hugging Face import against the fixtures' reference outputs (made by transformers 5.17), and
// clear errors for malformed safetensors files.
#include <torch/torch.h>

#include <QtTest>
#include <fstream>
#include <nlohmann/json.hpp>

#include "distill/errors.h"
#include "hf_import.h"
#include "safetensors.h"
#include "sampling.h"

using namespace distill;

namespace {

nlohmann::json reference(const std::string& model) {
  std::ifstream in(std::string(DISTILL_FIXTURES_DIR) + "/" + model + "/reference.json");
  return nlohmann::json::parse(in);
}

/// A safetensors file with one F32 tensor "w" of `shape`, then `tweak` applied to the header.
std::string writeSafetensors(const QString& path, const std::string& header, const std::string& data) {
  std::string bytes(8, '\0');
  const uint64_t length = header.size();
  std::memcpy(&bytes[0], &length, 8);
  bytes += header + data;
  std::ofstream(path.toStdString(), std::ios::binary) << bytes;
  return path.toStdString();
}

}  // namespace

class TestHfImport : public QObject {
  Q_OBJECT
private slots:
  void gpt2LogitsMatchTransformers() {
    const auto imported = importHuggingFaceModel(DISTILL_FIXTURES_DIR "/gpt2-tiny");
    const auto ref = reference("gpt2-tiny");
    QCOMPARE(imported.model->parameterCount(), ref["param_count"].get<int64_t>());
    const auto ids = torch::tensor(ref["input_ids"].get<std::vector<std::vector<int64_t>>>()[0]);
    std::vector<int64_t> flat;
    for (const auto& row : ref["input_ids"]) for (int64_t v : row) flat.push_back(v);
    const auto batch = torch::tensor(flat, torch::kInt64).reshape({2, -1});
    std::vector<float> expected;
    for (const auto& row : ref["logits"]) for (const auto& pos : row) for (float v : pos) expected.push_back(v);
    torch::NoGradGuard noGrad;
    const auto logits = imported.model->forward(batch);
    const auto want = torch::tensor(expected).reshape(logits.sizes());
    const double diff = (logits - want).abs().max().item<double>();
    QVERIFY2(diff < 1e-4, qPrintable(QString("max |logit difference| %1").arg(diff)));
  }

  void gpt2GreedyIdsMatchTransformers() {
    const auto imported = importHuggingFaceModel(DISTILL_FIXTURES_DIR "/gpt2-tiny");
    const auto ref = reference("gpt2-tiny");
    const auto expected = ref["greedy_new_ids"].get<std::vector<int64_t>>();
    SamplingOptions greedy{static_cast<int>(expected.size()), 1.0, 0, 1.0, 0, true};
    QCOMPARE(generateIds(*imported.model, ref["greedy_prompt"].get<std::vector<int64_t>>(), greedy), expected);
  }

  void malformedSafetensorsGetAClearError_data() {
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<int>("dataBytes");
    QTest::addColumn<QString>("expected");
    QTest::newRow("offsets out of range") << QByteArray(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})") << 8
                                          << "out of range";
    QTest::newRow("shape mismatch") << QByteArray(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})") << 8
                                    << "needs 12 bytes";
    QTest::newRow("unknown dtype") << QByteArray(R"({"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})") << 8
                                   << "unknown dtype";
    QTest::newRow("not json") << QByteArray("{oops") << 0 << "not valid JSON";
    QTest::newRow("missing field") << QByteArray(R"({"w":{"dtype":"F32","shape":[2]}})") << 8 << "malformed entry";
  }
  void malformedSafetensorsGetAClearError() {
    QFETCH(QByteArray, header);
    QFETCH(int, dataBytes);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const auto path = writeSafetensors(dir.filePath("m.safetensors"), header.toStdString(), std::string(dataBytes, '\0'));
    try {
      SafetensorsFile file(path);
      QFAIL("no error");
    } catch (const EngineError& e) {
      QVERIFY2(QString(e.what()).contains(expected), e.what());
      QVERIFY2(QString(e.what()).contains(QString::fromStdString(path)), e.what());
    }
  }

  void headerLengthBeyondTheFileIsReported() {
    QTemporaryDir dir;
    const auto path = dir.filePath("m.safetensors").toStdString();
    std::string bytes(8, '\0');
    const uint64_t huge = 1ull << 40;
    std::memcpy(&bytes[0], &huge, 8);
    std::ofstream(path, std::ios::binary) << bytes << "{}";
    QVERIFY_EXCEPTION_THROWN(SafetensorsFile{path}, EngineError);
  }

  void halfAndBfloat16Widen() {
    QTemporaryDir dir;
    // 1.5 in IEEE half is 0x3E00; in bfloat16 0x3FC0.
    const std::string data = std::string("\x00\x3E", 2) + std::string("\xC0\x3F", 2);
    const auto path = writeSafetensors(dir.filePath("m.safetensors"),
                                       R"({"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},)"
                                       R"("b":{"dtype":"BF16","shape":[1],"data_offsets":[2,4]}})",
                                       data);
    SafetensorsFile file(path);
    QCOMPARE(file.tensor("h").item<float>(), 1.5f);
    QCOMPARE(file.tensor("b").item<float>(), 1.5f);
    QVERIFY_EXCEPTION_THROWN(file.tensor("h", {2}), EngineError);
    QVERIFY_EXCEPTION_THROWN(file.tensor("nope"), EngineError);
  }

  void truncatedFixtureIsRejectedNotCrashed() {
    // Every prefix length of a real file, coarse steps: an error or a valid parse, never a crash.
    std::ifstream in(DISTILL_FIXTURES_DIR "/gpt2-tiny/model.safetensors", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    QTemporaryDir dir;
    const auto path = dir.filePath("cut.safetensors").toStdString();
    int errors = 0;
    for (size_t cut = 0; cut < bytes.size(); cut += 997) {
      std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, cut);
      try {
        SafetensorsFile file(path);
      } catch (const EngineError&) {
        ++errors;
      }
    }
    QVERIFY(errors > 0);
  }
};

QTEST_APPLESS_MAIN(TestHfImport)
#include "tst_hf_import.moc"
