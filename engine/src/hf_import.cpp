#include "hf_import.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "distill/errors.h"
#include "model_factory.h"
#include "paths.h"
#include "safetensors.h"

namespace distill {

namespace {

namespace fs = std::filesystem;

template <class T>
T configValue(const nlohmann::json& config, const std::string& key, const std::string& file) {
  if (!config.contains(key) || config[key].is_null()) throw EngineError(file + ": missing key '" + key + "'");
  try {
    return config[key].get<T>();
  } catch (const nlohmann::json::exception&) {
    throw EngineError(file + ": key '" + key + "' has the wrong type");
  }
}

void copyInto(torch::Tensor& destination, const torch::Tensor& source) {
  torch::NoGradGuard noGrad;
  destination.copy_(source);
}

ImportedModel importGpt2(const nlohmann::json& config, const std::string& configPath, const SafetensorsFile& weights) {
  ModelSpec spec;
  spec.arch = "transformer";
  spec.layers = configValue<int>(config, "n_layer", configPath);
  spec.heads = configValue<int>(config, "n_head", configPath);
  spec.embd = configValue<int>(config, "n_embd", configPath);
  spec.bias = true;
  spec.tie_weights = config.value("tie_word_embeddings", true);
  const std::string activation = config.value("activation_function", std::string("gelu_new"));
  if (activation == "gelu_new" || activation == "gelu_pytorch_tanh") {
    spec.activation = "gelu_tanh";
  } else if (activation == "gelu") {
    spec.activation = "gelu";
  } else {
    throw EngineError(configPath + ": activation_function '" + activation + "' is not supported (gelu_new, gelu)");
  }
  if (config.contains("n_inner") && !config["n_inner"].is_null() && config["n_inner"].get<int>() != 4 * spec.embd)
    throw EngineError(configPath + ": n_inner other than 4 × n_embd is not supported");
  const double eps = config.value("layer_norm_epsilon", 1e-5);
  if (std::abs(eps - 1e-5) > 1e-12)
    throw EngineError(configPath + ": layer_norm_epsilon " + std::to_string(eps) + " is not supported (1e-5)");
  const int64_t vocab = configValue<int64_t>(config, "vocab_size", configPath);
  const int64_t context = configValue<int64_t>(config, "n_positions", configPath);
  auto model = makeModel(spec, vocab, context);

  // Checkpoints differ in whether names carry the "transformer." prefix.
  const std::string prefix = weights.contains("transformer.wte.weight") ? "transformer." : "";
  auto params = model->named_parameters();
  const int64_t C = spec.embd;
  // GPT-2's Conv1D stores (in, out); a Linear holds (out, in): those are transposed.
  auto load = [&](const std::string& ours, const std::string& theirs, const std::vector<int64_t>& shape, bool conv1d) {
    auto t = weights.tensor(prefix + theirs, shape);
    copyInto(params[ours], conv1d ? t.t() : t);
  };
  load("tokens.weight", "wte.weight", {vocab, C}, false);
  load("positions.weight", "wpe.weight", {context, C}, false);
  for (int i = 0; i < spec.layers; ++i) {
    const std::string ours = "block" + std::to_string(i) + ".", theirs = "h." + std::to_string(i) + ".";
    load(ours + "ln1.weight", theirs + "ln_1.weight", {C}, false);
    load(ours + "ln1.bias", theirs + "ln_1.bias", {C}, false);
    load(ours + "qkv.weight", theirs + "attn.c_attn.weight", {C, 3 * C}, true);
    load(ours + "qkv.bias", theirs + "attn.c_attn.bias", {3 * C}, false);
    load(ours + "proj.weight", theirs + "attn.c_proj.weight", {C, C}, true);
    load(ours + "proj.bias", theirs + "attn.c_proj.bias", {C}, false);
    load(ours + "ln2.weight", theirs + "ln_2.weight", {C}, false);
    load(ours + "ln2.bias", theirs + "ln_2.bias", {C}, false);
    load(ours + "fc.weight", theirs + "mlp.c_fc.weight", {C, 4 * C}, true);
    load(ours + "fc.bias", theirs + "mlp.c_fc.bias", {4 * C}, false);
    load(ours + "fc2.weight", theirs + "mlp.c_proj.weight", {4 * C, C}, true);
    load(ours + "fc2.bias", theirs + "mlp.c_proj.bias", {C}, false);
  }
  load("ln_f.weight", "ln_f.weight", {C}, false);
  load("ln_f.bias", "ln_f.bias", {C}, false);
  if (!spec.tie_weights) {
    // An untied GPT-2 head lives outside the "transformer." prefix.
    copyInto(params["head.weight"], weights.tensor("lm_head.weight", {vocab, C}));
  }
  model->eval();
  return {model, "gpt2", context};
}

}  // namespace

ImportedModel importHuggingFaceModel(const std::string& dir) {
  const std::string configPath = (fs::path(dir) / "config.json").string();
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(readFile(configPath, "model config"));
  } catch (const nlohmann::json::exception& e) {
    throw EngineError(configPath + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  const std::string weightsPath = (fs::path(dir) / "model.safetensors").string();
  if (!fs::exists(weightsPath)) throw EngineError(dir + ": no model.safetensors");
  const SafetensorsFile weights(weightsPath);
  const std::string type = config.value("model_type", std::string());
  if (type == "gpt2") return importGpt2(config, configPath, weights);
  throw EngineError(configPath + ": model_type '" + type + "' is not supported yet (gpt2)");
}

}  // namespace distill
