#include "io/hf_import.h"

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "distill/errors.h"
#include "io/hf_names.h"
#include "io/safetensors.h"
#include "models/model_factory.h"
#include "util/paths.h"

namespace distill {

namespace {

namespace fs = std::filesystem;

nlohmann::json readJson(const std::string& path, const std::string& what) {
  try {
    return nlohmann::json::parse(readFile(path, what));
  } catch (const nlohmann::json::exception& e) {
    throw EngineError(path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
}

template <class T>
T configValue(const nlohmann::json& config, const std::string& key, const std::string& file) {
  if (!config.contains(key) || config[key].is_null()) throw EngineError(file + ": missing key '" + key + "'");
  try {
    return config[key].get<T>();
  } catch (const nlohmann::json::exception&) {
    throw EngineError(file + ": key '" + key + "' has the wrong type");
  }
}

template <class T>
T configValueOr(const nlohmann::json& config, const std::string& key, const std::string& file, T fallback) {
  if (!config.contains(key) || config[key].is_null()) return fallback;
  return configValue<T>(config, key, file);
}

/// Every tensor of the checkpoint, whether in one file or in shards.
class WeightFiles {
public:
  explicit WeightFiles(const std::string& dir) {
    const fs::path single = fs::path(dir) / "model.safetensors",
                   index = fs::path(dir) / "model.safetensors.index.json";
    if (fs::exists(single)) {
      add(single.string());
    } else if (fs::exists(index)) {
      const auto j = readJson(index.string(), "safetensors index");
      if (!j.contains("weight_map") || !j["weight_map"].is_object())
        throw EngineError(index.string() + ": no weight_map object");
      std::map<std::string, size_t> shardOf;
      for (const auto& item : j["weight_map"].items()) {
        if (!item.value().is_string())
          throw EngineError(index.string() + ": weight_map entry '" + item.key() + "' is not a file name");
        const std::string shard = item.value().get<std::string>();
        if (shard.find('/') != std::string::npos)
          throw EngineError(index.string() + ": shard name '" + shard + "' leaves the folder");
        if (!shardOf.count(shard)) shardOf[shard] = add((fs::path(dir) / shard).string());
        if (!m_files[shardOf[shard]]->contains(item.key()))
          throw EngineError(index.string() + ": lists '" + item.key() + "' in " + shard +
                            ", which does not hold it");
      }
    } else {
      throw EngineError(dir + ": no model.safetensors or model.safetensors.index.json");
    }
  }

  bool contains(const std::string& name) const { return m_fileOf.count(name) > 0; }

  torch::Tensor tensor(const std::string& name, const std::vector<int64_t>& shape) const {
    const auto it = m_fileOf.find(name);
    if (it == m_fileOf.end()) throw EngineError(m_files.front()->path() + ": no tensor '" + name + "'");
    return m_files[it->second]->tensor(name, shape);
  }

  std::map<std::string, int64_t> dtypeParameters() const {
    std::map<std::string, int64_t> counts;
    for (const auto& file : m_files)
      for (const auto& [name, entry] : file->entries()) {
        int64_t n = 1;
        for (const auto d : entry.shape) n *= d;
        counts[entry.dtype] += n;
      }
    return counts;
  }

private:
  size_t add(const std::string& path) {
    m_files.push_back(std::make_unique<SafetensorsFile>(path));
    for (const auto& item : m_files.back()->entries()) m_fileOf.emplace(item.first, m_files.size() - 1);
    return m_files.size() - 1;
  }

  std::vector<std::unique_ptr<SafetensorsFile>> m_files;
  std::map<std::string, size_t> m_fileOf;
};

/// Copies checkpoint tensors into the model's parameters by name, checking shapes.
class ParameterLoader {
public:
  ParameterLoader(LanguageModelImpl& model, const WeightFiles& weights)
      : m_params(model.named_parameters()), m_weights(weights) {}

  void load(const std::string& ours, const std::string& theirs, bool transpose = false) {
    auto* destination = m_params.find(ours);
    TORCH_CHECK(destination, "internal: no parameter ", ours);
    auto shape = destination->sizes().vec();
    if (transpose) std::swap(shape[0], shape[1]);
    auto t = m_weights.tensor(theirs, shape);
    torch::NoGradGuard noGrad;
    destination->copy_(transpose ? t.t() : t);
  }

private:
  torch::OrderedDict<std::string, torch::Tensor> m_params;
  const WeightFiles& m_weights;
};

HfModelShape gpt2Shape(const nlohmann::json& config, const std::string& configPath) {
  ModelSpec spec;
  spec.arch = Arch::Transformer;
  spec.layers = configValue<int>(config, "n_layer", configPath);
  spec.heads = configValue<int>(config, "n_head", configPath);
  spec.embd = configValue<int>(config, "n_embd", configPath);
  spec.bias = true;
  spec.tie_weights = configValueOr<bool>(config, "tie_word_embeddings", configPath, true);
  const std::string activation =
      configValueOr<std::string>(config, "activation_function", configPath, "gelu_new");
  if (activation == "gelu_new" || activation == "gelu_pytorch_tanh") {
    spec.activation = Activation::GeluTanh;
  } else if (activation == "gelu") {
    spec.activation = Activation::Gelu;
  } else {
    throw EngineError(configPath + ": activation_function '" + activation +
                      "' is not supported (gelu_new, gelu)");
  }
  if (configValueOr<int>(config, "n_inner", configPath, 4 * spec.embd) != 4 * spec.embd)
    throw EngineError(configPath + ": n_inner other than 4 × n_embd is not supported");
  const double eps = configValueOr<double>(config, "layer_norm_epsilon", configPath, 1e-5);
  if (std::abs(eps - 1e-5) > 1e-12)
    throw EngineError(configPath + ": layer_norm_epsilon " + std::to_string(eps) +
                      " is not supported (1e-5)");
  if (spec.layers < 1 || spec.heads < 1 || spec.embd % spec.heads != 0)
    throw EngineError(configPath + ": n_embd must be a multiple of n_head and n_layer at least 1");
  return {"gpt2", spec, configValue<int64_t>(config, "vocab_size", configPath),
          configValue<int64_t>(config, "n_positions", configPath)};
}

LanguageModel loadGpt2(const HfModelShape& shape, const WeightFiles& weights) {
  const auto& spec = shape.spec;
  auto model = makeModel(spec, shape.vocabSize, shape.contextLength);
  // Checkpoints differ in whether names carry the "transformer." prefix.
  const std::string prefix = weights.contains("transformer.wte.weight") ? "transformer." : "";
  ParameterLoader p(*model, weights);
  for (const auto& name : gpt2TensorNames(spec, prefix)) p.load(name.ours, name.theirs, name.transposed);
  return model;
}

double llamaRopeTheta(const nlohmann::json& config, const std::string& configPath) {
  // Newer configs nest it in rope_parameters (with rope_type); older ones have rope_theta and
  // rope_scaling at the top level.
  nlohmann::json rope = config.contains("rope_parameters") && config["rope_parameters"].is_object()
                            ? config["rope_parameters"]
                            : nlohmann::json::object();
  const std::string type = configValueOr<std::string>(rope, "rope_type", configPath, "default");
  if (type != "default")
    throw EngineError(configPath + ": rope_parameters.rope_type '" + type + "' is not supported (default)");
  if (config.contains("rope_scaling") && !config["rope_scaling"].is_null())
    throw EngineError(configPath + ": rope_scaling is not supported");
  if (rope.contains("rope_theta")) return configValue<double>(rope, "rope_theta", configPath);
  return configValueOr<double>(config, "rope_theta", configPath, 10000.0);
}

HfModelShape llamaShape(const nlohmann::json& config, const std::string& configPath) {
  ModelSpec spec;
  spec.arch = Arch::Llama;
  spec.layers = configValue<int>(config, "num_hidden_layers", configPath);
  spec.heads = configValue<int>(config, "num_attention_heads", configPath);
  spec.kv_heads = configValueOr<int>(config, "num_key_value_heads", configPath, spec.heads);
  spec.embd = configValue<int>(config, "hidden_size", configPath);
  spec.hidden = configValue<int>(config, "intermediate_size", configPath);
  spec.bias = configValueOr<bool>(config, "attention_bias", configPath, false);
  spec.tie_weights = configValueOr<bool>(config, "tie_word_embeddings", configPath, false);
  spec.norm_eps = configValueOr<double>(config, "rms_norm_eps", configPath, 1e-6);
  spec.rope_theta = llamaRopeTheta(config, configPath);
  spec.activation = Activation::Silu;
  const std::string act = configValueOr<std::string>(config, "hidden_act", configPath, "silu");
  if (act != "silu") throw EngineError(configPath + ": hidden_act '" + act + "' is not supported (silu)");
  if (configValueOr<bool>(config, "mlp_bias", configPath, false))
    throw EngineError(configPath + ": mlp_bias is not supported");
  if (spec.layers < 1 || spec.heads < 1 || spec.kv_heads < 1 || spec.embd % spec.heads != 0 ||
      spec.heads % spec.kv_heads != 0)
    throw EngineError(
        configPath +
        ": hidden_size must be a multiple of num_attention_heads, which num_key_value_heads must divide");
  const int headDim = configValueOr<int>(config, "head_dim", configPath, spec.embd / spec.heads);
  if (headDim != spec.embd / spec.heads)
    throw EngineError(configPath + ": head_dim " + std::to_string(headDim) +
                      " other than hidden_size / num_attention_heads is not supported");
  if (headDim % 2) throw EngineError(configPath + ": rotary positions need an even head_dim");
  return {"llama", spec, configValue<int64_t>(config, "vocab_size", configPath),
          configValue<int64_t>(config, "max_position_embeddings", configPath)};
}

LanguageModel loadLlama(const HfModelShape& shape, const WeightFiles& weights) {
  auto model = makeModel(shape.spec, shape.vocabSize, shape.contextLength);
  ParameterLoader p(*model, weights);
  for (const auto& name : llamaTensorNames(shape.spec)) p.load(name.ours, name.theirs, name.transposed);
  return model;
}

}  // namespace

bool isHuggingFaceFolder(const std::string& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::exists(fs::path(dir) / "config.json", ec);
}

HfModelShape readHuggingFaceShape(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw EngineError(dir +
                      ": not a folder (a Hugging Face model folder holds config.json and model.safetensors)");
  const std::string configPath = (fs::path(dir) / "config.json").string();
  const auto config = readJson(configPath, "model config");
  if (!config.is_object()) throw EngineError(configPath + ": not a JSON object");
  const std::string type = configValueOr<std::string>(config, "model_type", configPath, "");
  if (type == "gpt2") return gpt2Shape(config, configPath);
  if (type == "llama") return llamaShape(config, configPath);
  throw EngineError(configPath + ": model_type '" + type + "' is not supported (gpt2, llama)");
}

ImportedModel importHuggingFaceModel(const std::string& dir) {
  const auto shape = readHuggingFaceShape(dir);
  const WeightFiles weights(dir);
  ImportedModel imported;
  imported.model = shape.modelType == "gpt2" ? loadGpt2(shape, weights) : loadLlama(shape, weights);
  imported.modelType = shape.modelType;
  imported.contextLength = shape.contextLength;
  imported.dtypeParameters = weights.dtypeParameters();
  imported.model->eval();
  return imported;
}

}  // namespace distill
