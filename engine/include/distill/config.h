#pragma once

// The experiment: one defaulted struct tree, loaded from YAML with per-key validation.
// Plain C++ types only, so the GUI can include it.

#include <optional>
#include <string>
#include <vector>

namespace distill {

// The choices of an experiment, as enumerations. Their names (the YAML and JSON spellings) live in
// one table each (config/enum_names.cpp); nameOf and enumFromName convert at the boundary.
enum class Arch { Transformer, Llama, Lstm, Gru };
/// Transformer MLP activation: exact GELU (erf), GPT-2's tanh approximation ("gelu_new"); SiLU
/// (llama's gated MLP).
enum class Activation { Gelu, GeluTanh, Silu };
/// The soft term (see experiments/README.md).
enum class DistillLoss { Kl, ReverseKl, Jsd, SkewKl, SkewReverseKl, Tvd, Mse, Uld };
/// How temperature and alpha move over the student steps.
enum class Schedule { Constant, Linear, Cosine };
/// Where a distilled student's training sequences come from.
enum class Regime { Word, Sequence, OnPolicy };
/// How a student learns from an ensemble of teachers (`teachers:`): from the weighted mean of their
/// softened distributions, from the softened weighted mean of their logits, or one soft term per
/// teacher, weighted.
enum class Ensemble { MeanProb, MeanLogit, PerTeacher };
enum class HiddenLoss { None, Mse, Cosine };
/// How the validation split is cut: the tail of the token stream, or whole documents.
enum class ValSplit { Tail, Documents };
/// What the corpus holds: running text (every token a target), or examples whose response tokens
/// alone are targets: prompt/response fields, or chat `messages` rendered by a template.
enum class DataFormat { Text, PromptResponse, Messages };
/// What an unusable prompt/response record does: stops the run (naming file and line), or is
/// skipped and counted.
enum class BadRecords { Stop, Skip };
/// The floating-point type a run computes in: fp32 throughout, or bf16/fp16 autocast (matrix
/// products in the low precision, reductions and losses in fp32; fp16 with loss scaling).
enum class Precision { Fp32, Bf16, Fp16 };

/// The YAML/JSON name of a value ("transformer", "reverse_kl", "on_policy", ...).
template <class E>
const char* nameOf(E value);
/// The value with this name, if any.
template <class E>
std::optional<E> enumFromName(const std::string& name);
/// Every name of E, in declaration order.
template <class E>
std::vector<std::string> enumNames();

struct DataConfig {
  /// A UTF-8 text file, a folder of .txt / .jsonl files, or a JSON Lines file (.jsonl); empty:
  /// the bundled tinyshakespeare; relative: against the YAML folder.
  std::string corpus;
  std::string text_field = "text";  ///< JSON Lines: the field holding each document's text
  /// char: one token per character of the corpus; teacher: the tokenizer in teacher.hf's folder;
  /// otherwise a tokenizer folder or file (vocab.json + merges.txt, tokenizer.json, .model).
  std::string tokenizer = "char";
  double val_fraction = 0.1;
  ValSplit val_split = ValSplit::Tail;
  int block_size = 64;
  DataFormat format = DataFormat::Text;
  std::string prompt_field = "prompt";      ///< prompt_response: the field holding the prompt
  std::string response_field = "response";  ///< prompt_response: the field holding the response
  std::string messages_field = "messages";  ///< messages: the field holding the chat turns
  std::string response_end = "\n";          ///< appended to every response: the model learns where to stop
  /// prompt_response, messages: held-out examples (a .jsonl file or folder); empty: val_fraction
  /// of the examples, each held out by a hash of its index
  std::string val_corpus;
  BadRecords bad_records = BadRecords::Stop;

  bool examples() const { return format != DataFormat::Text; }
};

/// Shape of one language model. Transformers use layers/heads/embd; recurrent nets use
/// layers/embd/hidden; llama (RMSNorm, rotary positions, grouped-query attention, SiLU-gated MLP)
/// uses layers/heads/kv_heads/embd and hidden as its MLP width.
struct ModelSpec {
  Arch arch = Arch::Transformer;
  int layers = 4;
  int heads = 4;
  int embd = 128;
  int hidden = 0;    ///< recurrent hidden size (0: embd); llama MLP width (0: 4 × embd)
  int kv_heads = 0;  ///< llama: key/value heads shared by groups of query heads (0: heads)
  double dropout = 0.0;
  bool bias = true;          ///< biases in linear layers and layer norms (transformer)
  bool tie_weights = false;  ///< share token embedding and output head (transformer)
  /// Set by imported models; experiments use the default.
  Activation activation = Activation::Gelu;
  double rope_theta = 10000.0;  ///< llama: rotary base; set by imported models
  double norm_eps = 1e-5;       ///< llama: RMSNorm epsilon; set by imported models

  bool isTransformer() const { return arch == Arch::Transformer || arch == Arch::Llama; }
};

struct TeacherConfig {
  ModelSpec model;
  std::string name;        ///< a member of `teachers:`: the model is `teacher-<name>`; unused for `teacher:`
  double weight = 1.0;     ///< a member of `teachers:`: its share of the ensemble (weights are normalised)
  std::string checkpoint;  ///< reuse a trained teacher (.pt written by a run) instead of training
  std::string hf;  ///< a Hugging Face model folder (config.json + safetensors): pretrained, not trained here

  bool pretrained() const { return !checkpoint.empty() || !hf.empty(); }
};

struct DistillConfig {
  DistillLoss loss = DistillLoss::Kl;
  double temperature = 2.0;
  double alpha = 0.5;  ///< weight of the soft (KD) term; 1 - alpha weighs hard-label CE
  double beta = 0.5;   ///< jsd: teacher weight of the mixture (0: forward KL, 1: reverse KL)
  double skew = 0.1;   ///< skew_kl / skew_reverse_kl: α of the skewed mixture
  /// How temperature and alpha move over the student steps: constant | linear | cosine, from the
  /// values above at step 0 to the *_end values at the last step.
  Schedule temperature_schedule = Schedule::Constant;
  double temperature_end = 1.0;
  Schedule alpha_schedule = Schedule::Constant;
  double alpha_end = 0.0;
  /// > 0: compute the teacher's top-k distribution for every student step once, into a
  /// memory-mapped file (loss kl, constant temperature), and distill from it.
  int cache_top_k = 0;
  std::string cache_path;  ///< reuse this cache file if it matches; empty: <run>/teacher_logits.cache

  /// Where the student's training sequences come from:
  ///  word:      corpus windows, teacher distributions on them (Hinton);
  ///  sequence:  sequences the teacher generated once from corpus prefixes (Kim & Rush); the hard
  ///             term is cross-entropy on the teacher's tokens, alpha > 0 adds word-level KD on them;
  ///  on_policy: a fraction `on_policy_fraction` of steps train on continuations the student samples
  ///             from corpus prefixes, scored by the teacher with the soft loss only (GKD).
  Regime regime = Regime::Word;
  int prefix_tokens = 8;            ///< corpus tokens that prompt each generated sequence
  double sample_temperature = 1.0;  ///< generation of sequences (teacher or student); 0: greedy
  int sample_top_k = 0;             ///< 0: off
  int sequence_count = 2000;        ///< sequence: teacher sequences generated (block_size + 1 tokens each)
  std::string sequence_path;  ///< sequence: reuse this file if it matches; empty: <run>/teacher_sequences.bin
  double on_policy_fraction = 0.5;         ///< on_policy: λ, the fraction of steps on student samples
  Ensemble ensemble = Ensemble::MeanProb;  ///< with `teachers:`: how their targets combine
  std::string teacher;  ///< with `teachers:`: distil from this member alone (its name); empty: the ensemble

  /// Feature distillation (transformer teacher and student): the residual stream after student
  /// layer i, through a learned linear map to the teacher's width, against the teacher's layer
  /// layer_map[i] (1-based; empty: uniform, round(i·L_t/L_s)); and the head-averaged attention
  /// maps of the same layer pairs (KL teacher‖student per query row).
  HiddenLoss hidden_loss = HiddenLoss::None;
  double hidden_weight = 1.0;
  double attention_weight = 0.0;  ///< 0: no attention-map term
  std::vector<int> layer_map;

  bool usesFeatures() const { return hidden_loss != HiddenLoss::None || attention_weight > 0.0; }
};

struct StudentConfig {
  std::string name;
  ModelSpec model = defaultStudentSpec();
  /// This student's own distillation settings (the global `distill` with its keys on top);
  /// empty: the global section.
  std::optional<DistillConfig> distill;
  bool scratch_twin = true;  ///< also train <name>-scratch, the baseline without distillation
  int init_seed = -1;        ///< weights' seed; -1: train.seed + 1 + the student's index
  /// Start from the pretrained teacher's weights: its architecture and widths, its embeddings,
  /// final norm and head, and `layers` of its blocks spread evenly (every other one at half depth,
  /// as DistilGPT2 was initialised).
  bool init_from_teacher = false;
  /// The student's own tokenizer: `teacher` (the run's, data.tokenizer), `char`, or a tokenizer
  /// folder / file. Another vocabulary than the teacher's: only ULD or text-level sequence KD.
  std::string tokenizer = "teacher";

  static ModelSpec defaultStudentSpec() {
    ModelSpec spec;
    spec.layers = 2;
    spec.heads = 4;
    spec.embd = 64;
    return spec;
  }
};

struct TrainConfig {
  int steps = 2000;
  int student_steps = 0;  ///< 0: same as steps
  int batch_size = 12;
  double lr = 1e-3;
  double min_lr = 1e-4;
  int warmup_steps = 100;
  double weight_decay = 0.1;
  double beta1 = 0.9;
  double beta2 = 0.99;
  double grad_clip = 1.0;
  int eval_interval = 250;
  int eval_batches = 20;
  int log_interval = 1;
  int checkpoint_interval = 250;  ///< steps between resumable checkpoints (0: only when stopping)
  int keep_checkpoints = 2;       ///< resumable checkpoints kept per run (the newest ones)
  int seed = 1337;
  int threads = 0;  ///< 0: one per core (of this process's share of the cores)
  /// Data-parallel processes on this machine (1: none); see docs/distributed.md.
  int processes = 1;
  /// Every distilled student and its scratch twin train this many times, each time with another
  /// seed (initial weights and batch order); see repeatSeed(). 1: once, with `seed`.
  int repeats = 1;
  /// Train the teacher again in every repeat (with that repeat's seed) instead of once.
  bool repeat_teacher = false;
  /// Where the models compute: "auto" (the first CUDA device when this LibTorch sees one, else the
  /// CPU), "cpu", "cuda" or "cuda:N".
  std::string device = "auto";
  Precision precision = Precision::Fp32;
};

/// The seed of repeat `repeat` (1-based) of a run: the first is train.seed itself, so a run with
/// repeats: 1 is the run without; the others lie far apart, so the seeds derived from a repeat's
/// (seed + 1 + student index, seed + 1000 + index) never meet another repeat's.
inline int repeatSeed(const TrainConfig& t, int repeat) { return t.seed + (repeat - 1) * 100003; }

struct GenerateConfig {
  std::vector<std::string> prompts = {"ROMEO:", "First Citizen:\n"};
  int max_new_tokens = 200;
  double temperature = 0.8;
  int top_k = 40;
  double top_p = 1.0;
  int seed = 42;
  /// Prompt/response data: held-out prompts every model answers at the end of the run (greedy),
  /// scored by exact match and ROUGE-L; 0: none.
  int held_out_prompts = 200;
};

struct ExperimentConfig {
  std::string name = "experiment";
  DataConfig data;
  TeacherConfig teacher;                ///< the one teacher; with `teachers:`, a copy of the first member
  std::vector<TeacherConfig> teachers;  ///< an ensemble of teachers (one tokenizer); empty: `teacher`
  std::vector<StudentConfig> students;
  DistillConfig distill;
  TrainConfig train;
  GenerateConfig generate;

  int studentSteps() const { return train.student_steps > 0 ? train.student_steps : train.steps; }
  bool ensemble() const { return !teachers.empty(); }
  /// The teachers a run trains or loads: the ensemble's members, or the one teacher.
  std::vector<TeacherConfig> teacherMembers() const { return ensemble() ? teachers : std::vector{teacher}; }
};

/// Whether `s` reads another tokenizer than the run's (its vocabulary differs from the teacher's).
inline bool hasOwnTokenizer(const StudentConfig& s, const DataConfig& data) {
  return s.tokenizer != "teacher" && s.tokenizer != data.tokenizer;
}

/// The model name of a teacher: "teacher", or "teacher-<name>" for a member of an ensemble.
inline std::string teacherModelName(const TeacherConfig& t, bool ensemble) {
  return ensemble ? "teacher-" + t.name : std::string("teacher");
}

/// One problem found in an experiment file: which key, where, and what is wrong.
struct ConfigProblem {
  std::string key;  ///< dotted path, e.g. "students.1.embd"
  int line = 0;     ///< 1-based; 0 when unknown (e.g. a --set override)
  int column = 0;   ///< 1-based
  std::string message;

  std::string toString(const std::string& file) const;
};

struct ConfigLoadResult {
  ExperimentConfig config;
  std::vector<ConfigProblem> problems;
  bool ok() const { return problems.empty(); }
};

/// Parses YAML text. `sourceDir` resolves relative paths in the file; `overrides` are
/// "key.path=value" strings applied on top (their relative paths resolve against the CWD).
/// `defaultName` names the experiment when the text has no `name` key.
ConfigLoadResult parseExperiment(const std::string& yamlText, const std::string& sourceDir,
                                 const std::vector<std::string>& overrides = {},
                                 const std::string& defaultName = "experiment");

/// Reads and parses a file; a missing file or YAML syntax error is reported as a problem.
ConfigLoadResult loadExperimentFile(const std::string& path, const std::vector<std::string>& overrides = {});

/// Checks values that do not depend on the YAML layout (ranges, choices, cross-field rules).
std::vector<ConfigProblem> validateExperiment(const ExperimentConfig& config);

/// What keeps this experiment from training on several processes (students that draw their own
/// data: sequence-level, on-policy, the logit cache), if anything.
std::optional<ConfigProblem> dataParallelProblem(const ExperimentConfig& config);

/// Checks one model shape (what validateExperiment checks for the teacher and each student);
/// keys are "<prefix>.<field>".
std::vector<ConfigProblem> validateModelSpec(const ModelSpec& spec, const std::string& prefix);

/// Every key an experiment file (or --set) accepts, as dotted paths; a student's keys under
/// "students.0.". Shell completion offers these.
std::vector<std::string> experimentKeyPaths();

/// The fully resolved experiment as YAML (every key written, paths absolute).
std::string experimentToYaml(const ExperimentConfig& config);

}  // namespace distill
