// Every experiment key, declared once. Docs are one line each; experiments/README.md's key table
// is generated from them (distill schema --markdown).

#include "config/schema_fields.h"

#include <cmath>
#include <sstream>

namespace distill::schema {

namespace {

bool isTransformer(const ModelSpec& m) { return m.isTransformer(); }
bool isLlama(const ModelSpec& m) { return m.arch == Arch::Llama; }
bool hasHiddenWidth(const ModelSpec& m) { return m.arch != Arch::Transformer; }
bool isExamples(const DataConfig& d) { return d.examples(); }
bool isPromptResponse(const DataConfig& d) { return d.format == DataFormat::PromptResponse; }
bool isMessages(const DataConfig& d) { return d.format == DataFormat::Messages; }

}  // namespace

const std::vector<Field<ExperimentConfig>>& topFields() {
  static const std::vector<Field<ExperimentConfig>> fields = {
      Field<ExperimentConfig>(
          "name", &ExperimentConfig::name,
          "names the run directory `runs/<name>-<timestamp>` (default: the file name without "
          "`.yaml`)"),
  };
  return fields;
}

const std::vector<Field<DataConfig>>& dataFields() {
  using F = Field<DataConfig>;
  static const std::vector<F> fields = {
      F("corpus", &DataConfig::corpus,
        "what to train on: a UTF-8 text file (one document), a folder of `.txt` files (one document "
        "each) and `.jsonl` files, or a JSON Lines file (`.jsonl`, one document per line); empty: the "
        "bundled `resources/data/tinyshakespeare.txt`. Tokenized once into a token cache that later "
        "runs memory-map")
          .isPath(),
      F("text_field", &DataConfig::text_field, "JSON Lines: the field that holds each document's text")
          .optional(),
      F("tokenizer", &DataConfig::tokenizer,
        "`char`: one token per Unicode code point seen in the corpus; `teacher`: the tokenizer files in "
        "`teacher.hf`'s folder; otherwise a tokenizer folder or file: `tokenizer.json` (BPE with the "
        "ByteLevel "
        "pre-tokenizer, optionally after Digits), `vocab.json` + `merges.txt` (GPT-2 byte-level BPE) or a "
        "SentencePiece `.model` (a folder is searched in that order; train one with `distill "
        "train-tokenizer` "
        "or the form's Train… button)"),
      F("val_fraction", &DataConfig::val_fraction, "share of the corpus's tokens held out for validation")
          .above(0)
          .below(1),
      F("val_split", &DataConfig::val_split,
        "`tail`: the last `val_fraction` of the token stream; `documents`: whole documents, each "
        "held out by a hash of its index (reproducible; needs at least two documents)")
          .optional(),
      F("block_size", &DataConfig::block_size, "context length in tokens (training window)").in(2, 65536),
      F("format", &DataConfig::format,
        "`text`: running text, every token a target; `prompt_response`: JSON Lines examples with a "
        "prompt and a response field; `messages`: JSON Lines chat examples (a list of `{role, content}` "
        "turns; the last `assistant` turn is the response, the turns before it, rendered as "
        "`<role>: <content>` lines and then `assistant: `, the prompt). Examples are packed whole into "
        "rows of `block_size` + 1 tokens; only response tokens are targets (loss, distillation, "
        "validation)")
          .optional(),
      F("prompt_field", &DataConfig::prompt_field, "`prompt_response`: the field holding the prompt")
          .optional()
          .when(isPromptResponse),
      F("response_field", &DataConfig::response_field, "`prompt_response`: the field holding the response")
          .optional()
          .when(isPromptResponse),
      F("messages_field", &DataConfig::messages_field, "`messages`: the field holding the list of turns")
          .optional()
          .when(isMessages),
      F("response_end", &DataConfig::response_end,
        "examples: text appended to every response, so the model learns where an answer stops "
        "(generation on held-out prompts stops there)")
          .optional()
          .when(isExamples),
      F("val_corpus", &DataConfig::val_corpus,
        "examples: held-out examples (a `.jsonl` file or a folder of them); empty: `val_fraction` of "
        "the examples, each held out by a hash of its index")
          .isPath()
          .optional()
          .when(isExamples),
      F("bad_records", &DataConfig::bad_records,
        "examples: a record without its fields, with an empty response or a prompt that fills the block "
        "`stop`s the run (naming file and line) or is `skip`ped and counted")
          .optional()
          .when(isExamples),
  };
  return fields;
}

const std::vector<Field<ModelSpec>>& modelFields() {
  using F = Field<ModelSpec>;
  static const std::vector<F> fields = {
      F("arch", &ModelSpec::arch,
        "`transformer` (GPT-2 layout), `llama` (RMSNorm, rotary positions, grouped-query attention, "
        "SiLU-gated "
        "MLP), `lstm` or `gru`"),
      F("layers", &ModelSpec::layers, "blocks (transformer) or stacked recurrent layers").in(1, 64),
      F("heads", &ModelSpec::heads, "attention heads; must divide `embd` (transformer, llama)")
          .in(1, 256)
          .when(isTransformer),
      F("kv_heads", &ModelSpec::kv_heads,
        "llama: key/value heads, each shared by `heads / kv_heads` query heads; `0` means `heads`")
          .in(0, 256)
          .when(isLlama),
      F("embd", &ModelSpec::embd, "embedding / model width").in(1, 8192),
      F("hidden", &ModelSpec::hidden,
        "recurrent hidden size (`0`: `embd`); llama MLP width (`0`: 4 × `embd`)")
          .in(0, 16384)
          .meaning("0 means same as embd")
          .when(hasHiddenWidth),
      F("dropout", &ModelSpec::dropout, "dropout probability").atLeast(0).below(1),
      F("bias", &ModelSpec::bias, "biases in linear layers and layer norms (transformer)")
          .when(isTransformer),
      F("tie_weights", &ModelSpec::tie_weights,
        "share the token embedding with the output head (transformer)")
          .when(isTransformer),
  };
  return fields;
}

const std::vector<Field<TeacherConfig>>& teacherFields() {
  using F = Field<TeacherConfig>;
  static const std::vector<F> fields = {
      F("checkpoint", &TeacherConfig::checkpoint,
        "a `checkpoints/teacher.pt` of an earlier run: reuse it, skip teacher training; its shape wins over "
        "the "
        "keys above, its vocabulary must cover the corpus and its block size must be at least "
        "`data.block_size`")
          .isPath()
          .optional(),
      F("hf", &TeacherConfig::hf,
        "a local Hugging Face model folder (`config.json` + `model.safetensors`, or shards with "
        "`model.safetensors.index.json`) of the GPT-2 or Llama family (SmolLM2, TinyLlama): a pretrained "
        "teacher, "
        "not trained here; float32, bfloat16 and float16 weights load (computed in float32); its shape wins "
        "over "
        "the keys above; needs `data.tokenizer` `teacher` or a tokenizer path; not together with "
        "`teacher.checkpoint`")
          .isPath()
          .optional(),
  };
  return fields;
}

const std::vector<Field<TeacherConfig>>& teacherMemberFields() {
  using F = Field<TeacherConfig>;
  static const std::vector<F> fields = {
      F("name", &TeacherConfig::name,
        "unique among `teachers` (default its position, 1, 2, …): the model is `teacher-<name>`"),
      F("weight", &TeacherConfig::weight,
        "this teacher's share of the ensemble: weights are divided by their sum (default 1: equal "
        "shares)")
          .above(0),
  };
  return fields;
}

const std::vector<Field<StudentConfig>>& studentFields() {
  using F = Field<StudentConfig>;
  static const std::vector<F> fields = {
      F("name", &StudentConfig::name,
        "unique (default `student<i>`); the run trains `<name>-kd` (distilled) and `<name>-scratch` (its "
        "twin)"),
      F("scratch_twin", &StudentConfig::scratch_twin,
        "also train `<name>-scratch`, the same student without distillation")
          .optional(),
      F("init_seed", &StudentConfig::init_seed,
        "seed of the initial weights; `-1` = `train.seed + 1 + index`. Equal seeds and shapes give equal "
        "initial "
        "weights")
          .atLeast(-1)
          .meaning("-1: from train.seed")
          .optional(),
      F("tokenizer", &StudentConfig::tokenizer,
        "the student's own tokenizer: `teacher` (the run's `data.tokenizer`), `char`, or a tokenizer folder "
        "/ "
        "file. Another vocabulary than the teacher's trains on the same text in its own tokens, with "
        "`distill.loss: uld` (positions aligned by order) or `regime: sequence` with `alpha: 0` (the "
        "teacher's text re-tokenized); compare models by `bits_per_char`")
          .optional(),
      F("init_from_teacher", &StudentConfig::init_from_teacher,
        "needs a pretrained teacher (`hf` or `checkpoint`): the student takes the teacher's architecture and "
        "widths with its own `layers`, its embeddings, final norm and head, and teacher block `i · L_t / "
        "L_s` for "
        "its block `i` (DistilGPT2's initialisation); its scratch twin starts from the same weights")
          .optional(),
  };
  return fields;
}

namespace {

/// The soft term and its schedules.
std::vector<Field<DistillConfig>> softTermFields() {
  using F = Field<DistillConfig>;
  return {
      F("loss", &DistillConfig::loss,
        "the soft term, per token on the next-token distributions, averaged over tokens: `kl` Hinton's "
        "forward "
        "KL(p_t ‖ p_s) × T²; `reverse_kl` KL(p_s ‖ p_t) × T²; `jsd` generalised Jensen–Shannon JSD(β) × T² "
        "as in "
        "GKD; `skew_kl` KL(p_t ‖ α·p_t + (1−α)·p_s) × T² and `skew_reverse_kl` KL(p_s ‖ α·p_s + (1−α)·p_t) × "
        "T² as "
        "in DistiLLM; `tvd` ½·Σ\\|p_t − p_s\\| on the softened distributions; `mse` mean squared difference "
        "of "
        "the raw logits; `uld` the Universal Logit Distillation loss (Boizard et al., 2024): Σ\\|sort(p_t) − "
        "sort(p_s)\\|, the softened probabilities each sorted in decreasing order, the shorter vocabulary "
        "padded with zeros (no T²)"),
      F("temperature", &DistillConfig::temperature, "softening temperature T")
          .above(0)
          .atMost(100)
          .changesLive(),
      F("alpha", &DistillConfig::alpha,
        "loss = alpha · KD + (1 − alpha) · cross-entropy with the true next token")
          .in(0, 1)
          .changesLive(),
      F("beta", &DistillConfig::beta, "`jsd` only: β (0: forward KL, 1: reverse KL)").in(0, 1),
      F("skew", &DistillConfig::skew, "`skew_kl`, `skew_reverse_kl` only: α of the skewed mixture")
          .atLeast(0)
          .below(1),
      F("temperature_schedule", &DistillConfig::temperature_schedule,
        "from `temperature` at the first student step to `temperature_end` at the last"),
      F("temperature_end", &DistillConfig::temperature_end, "where the temperature schedule ends")
          .above(0)
          .atMost(100),
      F("alpha_schedule", &DistillConfig::alpha_schedule, "from `alpha` to `alpha_end`"),
      F("alpha_end", &DistillConfig::alpha_end, "where the alpha schedule ends").in(0, 1),
  };
}

/// Where targets come from (cache, regimes) and the feature terms.
std::vector<Field<DistillConfig>> sourceAndFeatureFields() {
  using F = Field<DistillConfig>;
  return {
      F("cache_top_k", &DistillConfig::cache_top_k,
        "> 0: the teacher's top-k distribution for every student step is computed once into "
        "`<run>/teacher_logits.cache` ([docs/logit-cache.md](../docs/logit-cache.md)) and the students "
        "distill "
        "from it (sparse KL over the top-k plus a tail bucket); needs `loss: kl` and a constant temperature")
          .in(0, 65536)
          .meaning("0: no cache"),
      F("cache_path", &DistillConfig::cache_path,
        "reuse this cache file (e.g. another run's) when its header matches the run (vocabulary, k, block, "
        "batch, "
        "steps, temperature, data seed); otherwise a new one is built")
          .isPath()
          .optional(),
      F("regime", &DistillConfig::regime,
        "where the student's training sequences come from: `word` corpus windows with the teacher's "
        "distributions "
        "(Hinton); `sequence` sequences the teacher writes once (Kim & Rush, "
        "[docs/teacher-sequences.md](../docs/teacher-sequences.md)), cross-entropy on its tokens plus KD "
        "weighted "
        "by `alpha`; `on_policy` (GKD) a fraction `on_policy_fraction` of the steps train on the student's "
        "own "
        "continuations of corpus prefixes, scored by the teacher with the soft term only"),
      F("prefix_tokens", &DistillConfig::prefix_tokens,
        "`sequence`, `on_policy`: corpus tokens that prompt each generated sequence; below `data.block_size` "
        "(prompt/response data: the examples' prompts are the prompts)")
          .atLeast(1),
      F("sample_temperature", &DistillConfig::sample_temperature,
        "`sequence`, `on_policy`: sampling temperature of the generated tokens")
          .in(0, 100)
          .meaning("0: greedy"),
      F("sample_top_k", &DistillConfig::sample_top_k,
        "`sequence`, `on_policy`: sample among the k most likely tokens")
          .atLeast(0)
          .meaning("0: off"),
      F("sequence_count", &DistillConfig::sequence_count,
        "`sequence`: sequences the teacher writes (all sequence-level students of a run share one set); "
        "prompt/response data: training prompts the teacher answers (at most all of them)")
          .in(1, 10000000),
      F("sequence_path", &DistillConfig::sequence_path,
        "`sequence`: reuse this set (e.g. another run's `teacher_sequences.bin`) when its header matches "
        "(vocabulary, length, count, prefix, temperature, top-k, seed); prompt/response data: another run's "
        "`teacher_responses.jsonl`, reused when its settings file matches (examples, teacher weights, row "
        "length, count, temperature, top-k, seed)")
          .isPath()
          .optional(),
      F("on_policy_fraction", &DistillConfig::on_policy_fraction,
        "`on_policy`: λ, the share of steps on student samples (prompt/response data: its answers to "
        "training prompts)")
          .in(0, 1),
      F("ensemble", &DistillConfig::ensemble,
        "with `teachers:` (an ensemble): `mean_prob` the soft term's target is Σ wᵢ softmax(zᵢ/T), the "
        "teachers' softened distributions averaged by weight; `mean_logit` softmax(Σ wᵢ zᵢ / T), their "
        "logits averaged; `per_teacher` one soft term per teacher, Σ wᵢ D(teacher i, student) (with `loss: "
        "kl` "
        "it trains exactly as `mean_prob`: forward KL is linear in its target)"),
      F("teacher", &DistillConfig::teacher,
        "with `teachers:`: the `name` of one member to distil from alone (a student's own setting, to "
        "compare with the ensemble in the same run); empty: the ensemble")
          .optional(),
      F("hidden_loss", &DistillConfig::hidden_loss,
        "feature distillation (transformer teacher and student): `mse` or `cosine` between the residual "
        "stream "
        "after each student layer, through a learned linear map, and the paired teacher layer, × "
        "`hidden_weight`"),
      F("hidden_weight", &DistillConfig::hidden_weight, "weight of the hidden-state term").atLeast(0),
      F("attention_weight", &DistillConfig::attention_weight,
        "> 0: adds KL(teacher ‖ student) between the head-averaged attention maps of the paired layers × "
        "this weight")
          .atLeast(0),
      F("layer_map", &DistillConfig::layer_map,
        "teacher layer (1-based) for each student layer, e.g. `[2, 4]`; empty: round(i · L_teacher / "
        "L_student)")
          .optional(),
  };
}

}  // namespace

const std::vector<Field<DistillConfig>>& distillFields() {
  static const std::vector<Field<DistillConfig>> fields = [] {
    auto all = softTermFields();
    for (auto& f : sourceAndFeatureFields()) all.push_back(f);
    return all;
  }();
  return fields;
}

const std::vector<Field<TrainConfig>>& trainFields() {
  using F = Field<TrainConfig>;
  static const std::vector<F> fields = {
      F("steps", &TrainConfig::steps, "teacher optimiser steps").atLeast(0),
      F("student_steps", &TrainConfig::student_steps, "steps for every student and twin")
          .atLeast(0)
          .meaning("0: same as steps"),
      F("batch_size", &TrainConfig::batch_size, "sequences per step (per process)").in(1, 65536),
      F("lr", &TrainConfig::lr, "peak learning rate (AdamW)").above(0).below(10).changesLive(),
      F("min_lr", &TrainConfig::min_lr, "learning rate at the end of the cosine decay; at most `lr`")
          .atLeast(0),
      F("warmup_steps", &TrainConfig::warmup_steps, "linear warmup from `lr/warmup_steps` to `lr`")
          .atLeast(0),
      F("weight_decay", &TrainConfig::weight_decay,
        "AdamW decay, applied to matrices only (not biases, norms)")
          .atLeast(0),
      F("beta1", &TrainConfig::beta1, "AdamW beta1: decay of the gradient average").atLeast(0).below(1),
      F("beta2", &TrainConfig::beta2, "AdamW beta2: decay of the squared-gradient average")
          .atLeast(0)
          .below(1),
      F("grad_clip", &TrainConfig::grad_clip, "global gradient-norm clip")
          .atLeast(0)
          .meaning("0 disables clipping"),
      F("eval_interval", &TrainConfig::eval_interval, "steps between validation passes (and samples)")
          .atLeast(1)
          .changesLive(),
      F("eval_batches", &TrainConfig::eval_batches,
        "validation batches averaged per evaluation (the same batches every time)")
          .atLeast(1),
      F("log_interval", &TrainConfig::log_interval, "steps between training-metric lines in `metrics.jsonl`")
          .atLeast(1),
      F("checkpoint_interval", &TrainConfig::checkpoint_interval,
        "steps between resumable checkpoints of every model (`distill run --resume`); a completed run "
        "removes them")
          .atLeast(0)
          .meaning("0: only when the run stops"),
      F("keep_checkpoints", &TrainConfig::keep_checkpoints,
        "resumable checkpoints kept per run, the newest; each holds every model of its phase with its "
        "optimizer "
        "state")
          .in(1, 1000),
      F("seed", &TrainConfig::seed, "seeds weights, data order and validation batches"),
      F("threads", &TrainConfig::threads,
        "compute threads per process; `0`: its share of the cores (see the thread rule in the README)")
          .in(0, 1024),
      F("processes", &TrainConfig::processes,
        "data-parallel processes on this machine (`distill run --nproc N` overrides it); word-level students "
        "only "
        "([docs/distributed.md](../docs/distributed.md))")
          .in(1, 256),
      F("repeats", &TrainConfig::repeats,
        "train every distilled student and its scratch twin this many times with different seeds "
        "(weights and batch order; the twin shares its student's seed in each repeat): the summary gives "
        "mean ± sd and the paired KD − scratch difference with its 95 % interval")
          .in(1, 1000)
          .meaning("1: once, with `seed`"),
      F("repeat_teacher", &TrainConfig::repeat_teacher,
        "train the teacher again in every repeat, with that repeat's seed (default: trained once and "
        "shared)"),
      F("device", &TrainConfig::device,
        "where the models compute: `auto` (the first CUDA GPU this LibTorch sees, else the CPU), `cpu`, "
        "`cuda` or `cuda:N`; data-parallel ranks take one GPU each")
          .optional(),
      F("precision", &TrainConfig::precision,
        "`fp32`; `bf16` (autocast: matrix products in bfloat16, losses in fp32; CPU or CUDA) or `fp16` "
        "(CUDA only, with dynamic loss scaling). The teacher's inference runs in it too")
          .optional(),
  };
  return fields;
}

const std::vector<Field<GenerateConfig>>& generateFields() {
  using F = Field<GenerateConfig>;
  static const std::vector<F> fields = {
      F("prompts", &GenerateConfig::prompts,
        "prompts sampled at every evaluation (a single string is one prompt); with prompt/response data "
        "the first three held-out prompts instead"),
      F("max_new_tokens", &GenerateConfig::max_new_tokens, "tokens per sample").in(0, 100000),
      F("temperature", &GenerateConfig::temperature, "softmax temperature").atLeast(0).meaning("0: greedy"),
      F("top_k", &GenerateConfig::top_k, "keep the k most likely tokens").atLeast(0).meaning("0: off"),
      F("top_p", &GenerateConfig::top_p, "nucleus sampling mass (1: off)").above(0).atMost(1),
      F("seed", &GenerateConfig::seed, "sampling seed"),
      F("held_out_prompts", &GenerateConfig::held_out_prompts,
        "prompt/response data: how many held-out prompts every model answers when the run ends (greedy, "
        "stopping at `data.response_end` or at twice the reference's length), scored by exact match and "
        "ROUGE-L against the reference and the teacher's answer (`summary.json`, `methods.csv`, "
        "`responses.jsonl`)")
          .in(0, 1000000)
          .meaning("0: none")
          .optional(),
  };
  return fields;
}

namespace {

std::string number(double v) {
  std::ostringstream out;
  if (std::fabs(v) < 1e15 && v == std::floor(v)) {
    out << static_cast<long long>(v);
  } else {
    out << v;
  }
  return out.str();
}

}  // namespace

std::string boundsText(const std::optional<double>& min, const std::optional<double>& max, bool minOpen,
                       bool maxOpen) {
  if (min && max)
    return std::string(minOpen ? "(" : "[") + number(*min) + ", " + number(*max) + (maxOpen ? ")" : "]");
  if (min) return std::string(minOpen ? "> " : ">= ") + number(*min);
  if (max) return std::string(maxOpen ? "< " : "<= ") + number(*max);
  return "";
}

namespace {

template <class T>
bool inBounds(const T& value, const std::optional<double>& min, const std::optional<double>& max,
              bool minOpen, bool maxOpen) {
  const double v = static_cast<double>(value);
  if (min && (minOpen ? !(v > *min) : !(v >= *min))) return false;
  if (max && (maxOpen ? !(v < *max) : !(v <= *max))) return false;
  return true;
}

}  // namespace

template <class S>
void checkFields(const std::vector<Field<S>>& fields, const S& object, const std::string& prefix,
                 std::vector<ConfigProblem>& problems) {
  for (const auto& f : fields) {
    if (f.applies && !f.applies(object)) continue;
    const std::string key = prefix.empty() ? f.key : prefix + "." + f.key;
    std::visit(
        [&](auto member) {
          using T = std::decay_t<decltype(object.*member)>;
          const T& value = object.*member;
          if constexpr (std::is_same_v<T, int> || std::is_same_v<T, double>) {
            if (inBounds(value, f.min, f.max, f.minOpen, f.maxOpen)) return;
            // Enumerations are checked where they are read: their names are the only values.
            std::string rule = std::string("must be ") + (f.min && f.max ? "in " : "") +
                               boundsText(f.min, f.max, f.minOpen, f.maxOpen);
            if (f.note) rule += std::string(" (") + f.note + ")";
            problems.push_back({key, 0, 0, rule});
          }
        },
        f.member);
  }
}

template void checkFields(const std::vector<Field<ExperimentConfig>>&, const ExperimentConfig&,
                          const std::string&, std::vector<ConfigProblem>&);
template void checkFields(const std::vector<Field<DataConfig>>&, const DataConfig&, const std::string&,
                          std::vector<ConfigProblem>&);
template void checkFields(const std::vector<Field<ModelSpec>>&, const ModelSpec&, const std::string&,
                          std::vector<ConfigProblem>&);
template void checkFields(const std::vector<Field<TeacherConfig>>&, const TeacherConfig&, const std::string&,
                          std::vector<ConfigProblem>&);
template void checkFields(const std::vector<Field<StudentConfig>>&, const StudentConfig&, const std::string&,
                          std::vector<ConfigProblem>&);
template void checkFields(const std::vector<Field<DistillConfig>>&, const DistillConfig&, const std::string&,
                          std::vector<ConfigProblem>&);
template void checkFields(const std::vector<Field<TrainConfig>>&, const TrainConfig&, const std::string&,
                          std::vector<ConfigProblem>&);
template void checkFields(const std::vector<Field<GenerateConfig>>&, const GenerateConfig&,
                          const std::string&, std::vector<ConfigProblem>&);

}  // namespace distill::schema
