// Hugging Face import against the fixtures' reference outputs (made by transformers 5.17), and
// clear errors for malformed safetensors files.
#include <torch/torch.h>

#include <QtTest>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "distill/errors.h"
#include "io/hf_export.h"
#include "io/hf_import.h"
#include "io/safetensors.h"
#include "models/model_factory.h"
#include "models/sampling.h"

using namespace distill;

namespace {

nlohmann::json reference(const std::string& model) {
  std::ifstream in(std::string(DISTILL_FIXTURES_DIR) + "/" + model + "/reference.json");
  return nlohmann::json::parse(in);
}

/// A safetensors file with one F32 tensor "w" of `shape`, then `tweak` applied to the header.
std::string writeRawSafetensors(const QString& path, const std::string& header, const std::string& data) {
  std::string bytes(8, '\0');
  const uint64_t length = header.size();
  std::memcpy(&bytes[0], &length, 8);
  bytes += header + data;
  std::ofstream(path.toStdString(), std::ios::binary) << bytes;
  return path.toStdString();
}

/// Max |logits − reference| over both reference sequences.
double maxLogitDifference(LanguageModelImpl& model, const nlohmann::json& ref) {
  std::vector<int64_t> flat;
  for (const auto& row : ref["input_ids"])
    for (int64_t v : row) flat.push_back(v);
  const auto batch =
      torch::tensor(flat, torch::kInt64).reshape({static_cast<int64_t>(ref["input_ids"].size()), -1});
  std::vector<float> expected;
  for (const auto& row : ref["logits"])
    for (const auto& pos : row)
      for (float v : pos) expected.push_back(v);
  torch::NoGradGuard noGrad;
  const auto logits = model.forward(batch);
  return (logits - torch::tensor(expected).reshape(logits.sizes())).abs().max().item<double>();
}

}  // namespace

class TestHfImport : public QObject {
  Q_OBJECT
private slots:
  void logitsMatchTransformers_data() {
    QTest::addColumn<QString>("model");
    QTest::newRow("gpt2-tiny") << "gpt2-tiny";
    QTest::newRow("llama-tiny (GQA, RoPE, RMSNorm, untied)") << "llama-tiny";
  }
  void logitsMatchTransformers() {
    QFETCH(QString, model);
    const auto imported = importHuggingFaceModel(DISTILL_FIXTURES_DIR "/" + model.toStdString());
    const auto ref = reference(model.toStdString());
    QCOMPARE(imported.model->parameterCount(), ref["param_count"].get<int64_t>());
    const double diff = maxLogitDifference(*imported.model, ref);
    QVERIFY2(diff < 1e-4, qPrintable(QString("max |logit difference| %1").arg(diff)));
  }

  void greedyIdsMatchTransformers_data() { logitsMatchTransformers_data(); }
  void greedyIdsMatchTransformers() {
    QFETCH(QString, model);
    const auto imported = importHuggingFaceModel(DISTILL_FIXTURES_DIR "/" + model.toStdString());
    const auto ref = reference(model.toStdString());
    const auto expected = ref["greedy_new_ids"].get<std::vector<int64_t>>();
    SamplingOptions greedy{static_cast<int>(expected.size()), 1.0, 0, 1.0, 0, true};
    // With the KV cache, as generation runs, and recomputing everything, as transformers did.
    QCOMPARE(generateIds(*imported.model, ref["greedy_prompt"].get<std::vector<int64_t>>(), greedy),
             expected);
    QCOMPARE(
        generateIdsByRecompute(*imported.model, ref["greedy_prompt"].get<std::vector<int64_t>>(), greedy),
        expected);
  }

  void shardedHalfPrecisionCheckpointLoads_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("dtype");
    QTest::addColumn<double>("tolerance");
    // Rounding the weights to 16 bits moves the logits; float32 shards must stay exact.
    QTest::newRow("llama F32 shards") << "llama-tiny"
                                      << "F32" << 1e-4;
    QTest::newRow("llama BF16 shards") << "llama-tiny"
                                       << "BF16" << 0.25;
    QTest::newRow("gpt2 F16 shards") << "gpt2-tiny"
                                     << "F16" << 0.05;
  }
  void shardedHalfPrecisionCheckpointLoads() {
    QFETCH(QString, model);
    QFETCH(QString, dtype);
    QFETCH(double, tolerance);
    const std::string source = DISTILL_FIXTURES_DIR "/" + model.toStdString();
    QTemporaryDir dir;
    const std::string out = dir.path().toStdString();
    std::filesystem::copy_file(source + "/config.json", out + "/config.json");
    // Two shards, alternate tensors, and the index that maps each name to its file.
    SafetensorsFile original(source + "/model.safetensors");
    std::map<std::string, torch::Tensor> shards[2];
    nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
    int k = 0;
    for (const auto& [name, entry] : original.entries()) {
      shards[k % 2][name] = original.tensor(name);
      index["weight_map"][name] = "model-0000" + std::to_string(k % 2 + 1) + "-of-00002.safetensors";
      ++k;
    }
    writeSafetensors(out + "/model-00001-of-00002.safetensors", shards[0], dtype.toStdString());
    writeSafetensors(out + "/model-00002-of-00002.safetensors", shards[1], dtype.toStdString());
    std::ofstream(out + "/model.safetensors.index.json") << index.dump();

    const auto imported = importHuggingFaceModel(out);
    QCOMPARE(imported.dtypeParameters.begin()->first, dtype.toStdString());
    const double diff = maxLogitDifference(*imported.model, reference(model.toStdString()));
    QVERIFY2(diff < tolerance, qPrintable(QString("max |logit difference| %1").arg(diff)));
  }

  void exportedModelsImportToTheSameLogits_data() {
    QTest::addColumn<QString>("arch");
    QTest::addColumn<bool>("tied");
    QTest::newRow("gpt2 layout, untied") << "transformer" << false;
    QTest::newRow("gpt2 layout, tied") << "transformer" << true;
    QTest::newRow("llama, grouped-query") << "llama" << false;
  }
  void exportedModelsImportToTheSameLogits() {
    QFETCH(QString, arch);
    QFETCH(bool, tied);
    torch::manual_seed(5);
    ModelSpec spec;
    spec.arch = *enumFromName<Arch>(arch.toStdString());
    spec.layers = 2;
    spec.heads = 4;
    spec.kv_heads = arch == "llama" ? 2 : 0;
    spec.embd = 32;
    spec.tie_weights = tied;
    const auto tokenizer = Tokenizer::load(DISTILL_FIXTURES_DIR "/bpe512");
    auto model = makeModel(spec, tokenizer.vocabSize(), 24);
    QTemporaryDir dir;
    const auto written = exportHuggingFaceModel(*model, 24, tokenizer, dir.path().toStdString());
    QVERIFY(written.tokenizerWritten);
    const auto imported = importHuggingFaceModel(dir.path().toStdString());
    QCOMPARE(imported.contextLength, 24);
    QCOMPARE(imported.model->parameterCount(), model->parameterCount());
    torch::NoGradGuard noGrad;
    model->eval();
    const auto ids = torch::randint(0, tokenizer.vocabSize(), {2, 24}, torch::kInt64);
    QVERIFY(torch::equal(model->forward(ids), imported.model->forward(ids)));
    const auto reloaded = Tokenizer::load(dir.path().toStdString());
    QCOMPARE(reloaded.encode("First Citizen: don't"), tokenizer.encode("First Citizen: don't"));
  }

  void recurrentModelsHaveNoExportFormat() {
    ModelSpec gru;
    gru.arch = Arch::Gru;
    QTemporaryDir dir;
    QVERIFY_THROWS_EXCEPTION(EngineError, exportHuggingFaceModel(*makeModel(gru, 10, 8), 8, Tokenizer(),
                                                                 dir.path().toStdString()));
  }

  void indexNamingAMissingTensorIsAClearError() {
    QTemporaryDir dir;
    const std::string out = dir.path().toStdString();
    std::filesystem::copy_file(DISTILL_FIXTURES_DIR "/gpt2-tiny/config.json", out + "/config.json");
    std::filesystem::copy_file(DISTILL_FIXTURES_DIR "/gpt2-tiny/model.safetensors", out + "/a.safetensors");
    std::ofstream(out + "/model.safetensors.index.json")
        << R"({"weight_map": {"h.0.nope": "a.safetensors"}})";
    try {
      importHuggingFaceModel(out);
      QFAIL("no error");
    } catch (const EngineError& e) {
      QVERIFY2(QString(e.what()).contains("h.0.nope"), e.what());
    }
  }

  void unsupportedConfigsAreNamed_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("expected");
    QTest::newRow("model type") << "gpt2-tiny"
                                << "model_type"
                                << R"("bert")"
                                << "model_type 'bert'";
    QTest::newRow("rope scaling") << "llama-tiny"
                                  << "rope_parameters"
                                  << R"({"rope_type": "yarn", "rope_theta": 1e4})"
                                  << "yarn";
    QTest::newRow("activation") << "llama-tiny"
                                << "hidden_act"
                                << R"("gelu")"
                                << "hidden_act";
    QTest::newRow("wrong type") << "llama-tiny"
                                << "num_hidden_layers"
                                << R"("two")"
                                << "num_hidden_layers";
  }
  void unsupportedConfigsAreNamed() {
    QFETCH(QString, model);
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    const std::string source = DISTILL_FIXTURES_DIR "/" + model.toStdString();
    QTemporaryDir dir;
    const std::string out = dir.path().toStdString();
    std::filesystem::copy_file(source + "/model.safetensors", out + "/model.safetensors");
    std::ifstream in(source + "/config.json");
    auto config = nlohmann::json::parse(in);
    config[key.toStdString()] = nlohmann::json::parse(value.toStdString());
    std::ofstream(out + "/config.json") << config.dump();
    try {
      importHuggingFaceModel(out);
      QFAIL("no error");
    } catch (const EngineError& e) {
      QVERIFY2(QString(e.what()).contains(expected) && QString(e.what()).contains("config.json"), e.what());
    }
  }

  void distilGpt2InitTakesEveryOtherTeacherLayer() {
    const auto teacher = importHuggingFaceModel(DISTILL_FIXTURES_DIR "/llama-tiny").model;
    ModelSpec half = teacher->spec();
    half.layers = 1;
    const auto student = makeModel(half, teacher->vocabSize(), 32);
    initFromTeacherLayers(teacher, student);
    const auto t = teacher->named_parameters(), s = student->named_parameters();
    QVERIFY(torch::equal(s["block0.q.weight"], t["block0.q.weight"]));
    QVERIFY(torch::equal(s["head.weight"], t["head.weight"]));
    QVERIFY(torch::equal(s["norm"], t["norm"]));
    ModelSpec wider = half;
    wider.embd = 128;
    QVERIFY_EXCEPTION_THROWN(initFromTeacherLayers(teacher, makeModel(wider, teacher->vocabSize(), 32)),
                             EngineError);
  }

  void malformedSafetensorsGetAClearError_data() {
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<int>("dataBytes");
    QTest::addColumn<QString>("expected");
    QTest::newRow("offsets out of range")
        << QByteArray(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})") << 8 << "out of range";
    QTest::newRow("shape mismatch") << QByteArray(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})")
                                    << 8 << "needs 12 bytes";
    QTest::newRow("unknown dtype") << QByteArray(R"({"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})")
                                   << 8 << "unknown dtype";
    QTest::newRow("not json") << QByteArray("{oops") << 0 << "not valid JSON";
    QTest::newRow("missing field") << QByteArray(R"({"w":{"dtype":"F32","shape":[2]}})") << 8
                                   << "malformed entry";
  }
  void malformedSafetensorsGetAClearError() {
    QFETCH(QByteArray, header);
    QFETCH(int, dataBytes);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const auto path = writeRawSafetensors(dir.filePath("m.safetensors"), header.toStdString(),
                                          std::string(dataBytes, '\0'));
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
    const auto path = writeRawSafetensors(dir.filePath("m.safetensors"),
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
