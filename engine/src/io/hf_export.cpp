#include "io/hf_export.h"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "distill/errors.h"
#include "io/hf_names.h"
#include "io/safetensors.h"
#include "util/paths.h"

namespace distill {

namespace {

nlohmann::ordered_json gpt2Config(const ModelSpec& s, int64_t vocab, int64_t context) {
  if (!s.bias) throw EngineError("the GPT-2 format needs biases: this transformer has bias: false");
  return {{"architectures", {"GPT2LMHeadModel"}},
          {"model_type", "gpt2"},
          {"vocab_size", vocab},
          {"n_positions", context},
          {"n_embd", s.embd},
          {"n_layer", s.layers},
          {"n_head", s.heads},
          {"n_inner", nullptr},
          {"activation_function", s.activation == Activation::GeluTanh ? "gelu_new" : "gelu"},
          {"layer_norm_epsilon", 1e-5},
          {"tie_word_embeddings", s.tie_weights},
          {"resid_pdrop", 0.0},
          {"embd_pdrop", 0.0},
          {"attn_pdrop", 0.0},
          {"dtype", "float32"}};
}

nlohmann::ordered_json llamaConfig(const ModelSpec& s, int64_t vocab, int64_t context) {
  const int kvHeads = s.kv_heads > 0 ? s.kv_heads : s.heads;
  return {{"architectures", {"LlamaForCausalLM"}},
          {"model_type", "llama"},
          {"vocab_size", vocab},
          {"max_position_embeddings", context},
          {"hidden_size", s.embd},
          {"intermediate_size", s.hidden > 0 ? s.hidden : 4 * s.embd},
          {"num_hidden_layers", s.layers},
          {"num_attention_heads", s.heads},
          {"num_key_value_heads", kvHeads},
          {"head_dim", s.embd / s.heads},
          {"hidden_act", "silu"},
          {"rms_norm_eps", s.norm_eps},
          {"rope_theta", s.rope_theta},
          {"rope_parameters", {{"rope_theta", s.rope_theta}, {"rope_type", "default"}}},
          {"attention_bias", s.bias},
          {"mlp_bias", false},
          {"tie_word_embeddings", s.tie_weights},
          {"dtype", "float32"}};
}

}  // namespace

HfExportResult exportHuggingFaceModel(LanguageModelImpl& model, int64_t contextLength,
                                      const Tokenizer& tokenizer, const std::string& dir) {
  const auto& spec = model.spec();
  HfExportResult result;
  nlohmann::ordered_json config;
  std::vector<HfTensorName> names;
  if (spec.arch == Arch::Transformer) {
    config = gpt2Config(spec, model.vocabSize(), contextLength);
    names = gpt2TensorNames(spec, "transformer.");
    result.modelType = "gpt2";
  } else if (spec.arch == Arch::Llama) {
    config = llamaConfig(spec, model.vocabSize(), contextLength);
    names = llamaTensorNames(spec);
    result.modelType = "llama";
  } else {
    throw EngineError(std::string("a ") + nameOf(spec.arch) +
                      " model cannot be exported: transformers has no recurrent causal LM of this form "
                      "(only transformer and llama models export). Use its checkpoint as it is — distill "
                      "generate, distill logits and the workbench load it");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw EngineError("cannot create " + dir + ": " + ec.message());

  const auto params = model.named_parameters();
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& name : names) {
    const auto* p = params.find(name.ours);
    TORCH_CHECK(p, "internal: no parameter ", name.ours);
    tensors[name.theirs] = name.transposed ? p->t() : *p;
  }
  writeSafetensors(dir + "/model.safetensors", tensors);
  result.tokenizerWritten = tokenizer.saveFiles(dir);
  // The tokenizer as tokenizer.json says, whatever the model type: a model-specific class (Llama's)
  // would add tokens of its own (a BOS) that our ids do not have.
  if (result.tokenizerWritten)
    writeFileAtomically(dir + "/tokenizer_config.json",
                        nlohmann::ordered_json({{"tokenizer_class", "PreTrainedTokenizerFast"},
                                                {"model_max_length", contextLength}})
                                .dump(2) +
                            "\n");
  writeFileAtomically(dir + "/config.json", config.dump(2) + "\n");
  return result;
}

}  // namespace distill
