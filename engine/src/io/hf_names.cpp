#include "io/hf_names.h"

namespace distill {

std::vector<HfTensorName> gpt2TensorNames(const ModelSpec& spec, const std::string& prefix) {
  std::vector<HfTensorName> names = {{"tokens.weight", prefix + "wte.weight", false},
                                     {"positions.weight", prefix + "wpe.weight", false}};
  for (int i = 0; i < spec.layers; ++i) {
    const std::string ours = "block" + std::to_string(i) + ".",
                      theirs = prefix + "h." + std::to_string(i) + ".";
    for (const auto& [o, t, conv1d] : std::vector<HfTensorName>{{"ln1.weight", "ln_1.weight", false},
                                                                {"ln1.bias", "ln_1.bias", false},
                                                                {"qkv.weight", "attn.c_attn.weight", true},
                                                                {"qkv.bias", "attn.c_attn.bias", false},
                                                                {"proj.weight", "attn.c_proj.weight", true},
                                                                {"proj.bias", "attn.c_proj.bias", false},
                                                                {"ln2.weight", "ln_2.weight", false},
                                                                {"ln2.bias", "ln_2.bias", false},
                                                                {"fc.weight", "mlp.c_fc.weight", true},
                                                                {"fc.bias", "mlp.c_fc.bias", false},
                                                                {"fc2.weight", "mlp.c_proj.weight", true},
                                                                {"fc2.bias", "mlp.c_proj.bias", false}})
      names.push_back({ours + o, theirs + t, conv1d});
  }
  names.push_back({"ln_f.weight", prefix + "ln_f.weight", false});
  names.push_back({"ln_f.bias", prefix + "ln_f.bias", false});
  if (!spec.tie_weights) names.push_back({"head.weight", "lm_head.weight", false});  // outside the prefix
  return names;
}

std::vector<HfTensorName> llamaTensorNames(const ModelSpec& spec) {
  std::vector<HfTensorName> names = {{"tokens.weight", "model.embed_tokens.weight", false}};
  for (int i = 0; i < spec.layers; ++i) {
    const std::string ours = "block" + std::to_string(i) + ".",
                      theirs = "model.layers." + std::to_string(i) + ".";
    names.push_back({ours + "attn_norm", theirs + "input_layernorm.weight", false});
    for (const std::string proj : {"q", "k", "v", "o"}) {
      names.push_back({ours + proj + ".weight", theirs + "self_attn." + proj + "_proj.weight", false});
      if (spec.bias)
        names.push_back({ours + proj + ".bias", theirs + "self_attn." + proj + "_proj.bias", false});
    }
    names.push_back({ours + "mlp_norm", theirs + "post_attention_layernorm.weight", false});
    for (const std::string proj : {"gate", "up", "down"})
      names.push_back({ours + proj + ".weight", theirs + "mlp." + proj + "_proj.weight", false});
  }
  names.push_back({"norm", "model.norm.weight", false});
  if (!spec.tie_weights) names.push_back({"head.weight", "lm_head.weight", false});
  return names;
}

}  // namespace distill
