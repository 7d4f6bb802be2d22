#include "io/checkpoint.h"

#include <nlohmann/json.hpp>

#include <sstream>

#include "distill/errors.h"
#include "distill/model_info.h"
#include "models/model_factory.h"
#include "util/paths.h"
#include "util/zip_integrity.h"

namespace distill {

namespace {

constexpr int kFormatVersion = 1;
constexpr const char* kMetaKey = "distill_meta";

/// A choice stored by name; an unknown name is damage (or a newer writer) and is reported.
template <class E>
E choiceFrom(const nlohmann::json& j, const char* key, const char* absentMeans) {
  const auto name = absentMeans ? j.value(key, std::string(absentMeans)) : j.at(key).get<std::string>();
  if (auto value = enumFromName<E>(name)) return *value;
  throw EngineError(std::string("unknown ") + key + " '" + name + "' in the model's description");
}

nlohmann::json specToJson(const ModelSpec& s) {
  return {{"arch", nameOf(s.arch)}, {"layers", s.layers},           {"heads", s.heads},
          {"embd", s.embd},         {"hidden", s.hidden},           {"dropout", s.dropout},
          {"bias", s.bias},         {"tie_weights", s.tie_weights}, {"activation", nameOf(s.activation)},
          {"kv_heads", s.kv_heads}, {"rope_theta", s.rope_theta},   {"norm_eps", s.norm_eps}};
}

ModelSpec specFromJson(const nlohmann::json& j) {
  ModelSpec s;
  s.arch = choiceFrom<Arch>(j, "arch", nullptr);
  s.layers = j.at("layers").get<int>();
  s.heads = j.at("heads").get<int>();
  s.embd = j.at("embd").get<int>();
  s.hidden = j.at("hidden").get<int>();
  s.dropout = j.at("dropout").get<double>();
  s.bias = j.at("bias").get<bool>();
  s.tie_weights = j.at("tie_weights").get<bool>();
  // Absent in checkpoints written before these existed: the defaults are what those models used.
  s.activation = choiceFrom<Activation>(j, "activation", "gelu");
  s.kv_heads = j.value("kv_heads", 0);
  s.rope_theta = j.value("rope_theta", 10000.0);
  s.norm_eps = j.value("norm_eps", 1e-5);
  return s;
}

}  // namespace

void saveCheckpoint(const std::string& path, LanguageModelImpl& model, const CheckpointInfo& info) {
  const nlohmann::json meta = {{"format", kFormatVersion},
                               {"model", info.modelName},
                               {"spec", specToJson(info.spec)},
                               {"vocab_size", info.vocabSize},
                               {"block_size", info.blockSize},
                               {"step", info.step},
                               {"tokenizer", info.tokenizer.toJson()}};
  torch::serialize::OutputArchive archive;
  model.save(archive);
  archive.write(kMetaKey, c10::IValue(meta.dump()));
  std::ostringstream bytes;
  archive.save_to(bytes);
  writeFileAtomically(path, bytes.str());
}

LoadedModel loadCheckpoint(const std::string& path) {
  const std::string bytes = readFile(path, "checkpoint");
  verifyZipIntegrity(bytes, "checkpoint " + path);
  torch::serialize::InputArchive archive;
  c10::IValue metaValue;
  try {
    std::istringstream in(bytes);
    archive.load_from(in, torch::Device(torch::kCPU));  // wherever it was trained: the caller moves it
    if (!archive.try_read(kMetaKey, metaValue) || !metaValue.isString())
      throw EngineError("checkpoint " + path + " has no distill metadata (not written by distill?)");
  } catch (const EngineError&) {
    throw;
  } catch (const std::exception&) {
    // c10::Error for a damaged zip, torch::jit::ErrorReport for damaged pickled code, and others.
    throw EngineError("checkpoint " + path + " is not a readable LibTorch archive (truncated or corrupt?)");
  }

  LoadedModel loaded;
  auto& info = loaded.info;
  try {
    const auto meta = nlohmann::json::parse(metaValue.toStringRef());
    if (meta.at("format").get<int>() > kFormatVersion)
      throw EngineError("checkpoint " + path + " was written by a newer distill (format " +
                        std::to_string(meta.at("format").get<int>()) + ")");
    info.modelName = meta.at("model").get<std::string>();
    info.spec = specFromJson(meta.at("spec"));
    info.vocabSize = meta.at("vocab_size").get<int64_t>();
    info.blockSize = meta.at("block_size").get<int64_t>();
    info.step = meta.at("step").get<int>();
    info.tokenizer = Tokenizer::fromJson(meta.at("tokenizer"));
  } catch (const nlohmann::json::exception& e) {
    throw EngineError("checkpoint " + path + " has malformed metadata: " + e.what());
  } catch (const EngineError& e) {
    throw EngineError("checkpoint " + path + ": " + e.what());
  }
  // An imported model may have more ids than its tokenizer (vocabularies padded for speed).
  if (info.tokenizer.vocabSize() > info.vocabSize)
    throw EngineError("checkpoint " + path + ": tokenizer has " + std::to_string(info.tokenizer.vocabSize()) +
                      " entries but the model knows only " + std::to_string(info.vocabSize));
  // The description is checked before anything is allocated from it: a damaged one could ask for
  // zero heads (a division by zero) or terabytes.
  const auto problems = validateModelSpec(info.spec, "spec");
  if (!problems.empty())
    throw EngineError("checkpoint " + path + " describes an invalid model: " + problems.front().key + ": " +
                      problems.front().message);
  if (info.vocabSize < 1 || info.blockSize < 1 || info.blockSize > 1 << 20)
    throw EngineError("checkpoint " + path + " has an invalid vocabulary size or block size");
  if (parameterCount(info.spec, info.vocabSize, static_cast<int>(info.blockSize)) >
      static_cast<long long>(bytes.size()) / 4 + 1024)
    throw EngineError("checkpoint " + path +
                      " describes a model larger than the file itself (damaged metadata?)");
  loaded.model = makeModel(info.spec, info.vocabSize, info.blockSize);
  try {
    loaded.model->load(archive);
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    throw EngineError("checkpoint " + path +
                      " does not match its own model description: " + what.substr(0, what.find('\n')));
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw EngineError("checkpoint " + path + " has damaged weights: " + what.substr(0, what.find('\n')));
  }
  return loaded;
}

}  // namespace distill
