#pragma once

// Which Hugging Face tensor holds which parameter of ours: one table serves import and export.

#include <string>
#include <vector>

#include "distill/config.h"

namespace distill {

struct HfTensorName {
  std::string ours;    ///< our parameter name ("block0.qkv.weight")
  std::string theirs;  ///< the checkpoint's tensor name ("transformer.h.0.attn.c_attn.weight")
  bool transposed;     ///< GPT-2's Conv1D stores (in, out); our Linear holds (out, in)
};

/// GPT-2 (GPT2LMHeadModel); `prefix` is "transformer." or "" (checkpoints differ).
std::vector<HfTensorName> gpt2TensorNames(const ModelSpec& spec, const std::string& prefix);
/// Llama (LlamaForCausalLM).
std::vector<HfTensorName> llamaTensorNames(const ModelSpec& spec);

}  // namespace distill
