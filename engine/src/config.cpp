#include "distill/config.h"
#include "distill/schedule.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "run_names.h"

namespace distill {

std::string ConfigProblem::toString(const std::string& file) const {
  std::ostringstream out;
  if (line > 0) {
    out << file << ":" << line << ":" << column << ": ";
  } else {
    out << file << ": ";
  }
  out << key << ": " << message;
  return out.str();
}

namespace {

void require(std::vector<ConfigProblem>& problems, bool ok, const std::string& key,
             const std::string& message) {
  if (!ok) problems.push_back({key, 0, 0, message});
}

void validateModel(std::vector<ConfigProblem>& p, const ModelSpec& m, const std::string& prefix) {
  const bool recurrent = m.arch == "lstm" || m.arch == "gru";
  require(p, m.isTransformer() || recurrent, prefix + ".arch",
          "must be one of transformer, llama, lstm, gru (got '" + m.arch + "')");
  require(p, m.layers >= 1 && m.layers <= 64, prefix + ".layers", "must be in [1, 64]");
  require(p, m.embd >= 1 && m.embd <= 8192, prefix + ".embd", "must be in [1, 8192]");
  require(p, m.dropout >= 0.0 && m.dropout < 1.0, prefix + ".dropout", "must be in [0, 1)");
  if (m.isTransformer()) {
    require(p, m.heads >= 1 && m.heads <= 256, prefix + ".heads", "must be in [1, 256]");
    require(p, m.heads >= 1 && m.embd % std::max(1, m.heads) == 0, prefix + ".heads",
            "must divide embd (" + std::to_string(m.embd) + ")");
  }
  if (m.arch == "llama") {
    require(p, m.kv_heads >= 0 && m.kv_heads <= m.heads && (m.kv_heads == 0 || m.heads % m.kv_heads == 0),
            prefix + ".kv_heads", "must divide heads (" + std::to_string(m.heads) + "); 0 means heads");
    require(p, (m.embd / std::max(1, m.heads)) % 2 == 0, prefix + ".heads",
            "rotary positions need an even head size (embd / heads)");
  } else {
    require(p, m.kv_heads == 0, prefix + ".kv_heads", "applies to arch llama only");
  }
  require(p, m.hidden >= 0 && m.hidden <= 16384, prefix + ".hidden",
          "must be in [0, 16384] (0 means same as embd)");
}

void validateDistill(std::vector<ConfigProblem>& p, const DistillConfig& d, const std::string& prefix) {
  const std::set<std::string> losses = {"kl",  "reverse_kl", "jsd", "skew_kl", "skew_reverse_kl",
                                        "tvd", "mse"};
  require(p, losses.count(d.loss) > 0, prefix + ".loss",
          "must be one of kl, reverse_kl, jsd, skew_kl, skew_reverse_kl, tvd, mse (got '" + d.loss + "')");
  require(p, d.temperature > 0.0 && d.temperature <= 100.0, prefix + ".temperature", "must be in (0, 100]");
  require(p, d.alpha >= 0.0 && d.alpha <= 1.0, prefix + ".alpha", "must be in [0, 1]");
  require(p, d.beta >= 0.0 && d.beta <= 1.0, prefix + ".beta", "must be in [0, 1]");
  require(p, d.skew >= 0.0 && d.skew < 1.0, prefix + ".skew", "must be in [0, 1)");
  for (const auto& [key, kind] : {std::make_pair(prefix + ".temperature_schedule", d.temperature_schedule),
                                  std::make_pair(prefix + ".alpha_schedule", d.alpha_schedule)})
    require(p, isScheduleKind(kind), key, "must be constant, linear or cosine (got '" + kind + "')");
  require(p, d.temperature_end > 0.0 && d.temperature_end <= 100.0, prefix + ".temperature_end",
          "must be in (0, 100]");
  require(p, d.alpha_end >= 0.0 && d.alpha_end <= 1.0, prefix + ".alpha_end", "must be in [0, 1]");
  require(p, d.cache_top_k >= 0 && d.cache_top_k <= 65536, prefix + ".cache_top_k",
          "must be in [0, 65536] (0: no cache)");
  if (d.cache_top_k > 0) {
    require(p, d.loss == "kl", prefix + ".cache_top_k", "the logit cache supports loss kl only");
    require(p, d.temperature_schedule == "constant", prefix + ".cache_top_k",
            "the logit cache needs a constant temperature (it stores distributions at that temperature)");
    require(p, d.regime == "word", prefix + ".cache_top_k",
            "the logit cache holds corpus windows: regime must be word");
    require(p, !d.usesFeatures(), prefix + ".cache_top_k",
            "feature losses need the teacher online (hidden_loss none and attention_weight 0 with a cache)");
  }
  require(p, d.regime == "word" || d.regime == "sequence" || d.regime == "on_policy", prefix + ".regime",
          "must be word, sequence or on_policy (got '" + d.regime + "')");
  require(p, d.prefix_tokens >= 1, prefix + ".prefix_tokens", "must be >= 1");
  require(p, d.sample_temperature >= 0.0 && d.sample_temperature <= 100.0, prefix + ".sample_temperature",
          "must be in [0, 100] (0: greedy)");
  require(p, d.sample_top_k >= 0, prefix + ".sample_top_k", "must be >= 0 (0: off)");
  require(p, d.sequence_count >= 1 && d.sequence_count <= 10000000, prefix + ".sequence_count",
          "must be in [1, 10000000]");
  require(p, d.on_policy_fraction >= 0.0 && d.on_policy_fraction <= 1.0, prefix + ".on_policy_fraction",
          "must be in [0, 1]");
  require(p, d.hidden_loss == "none" || d.hidden_loss == "mse" || d.hidden_loss == "cosine",
          prefix + ".hidden_loss", "must be none, mse or cosine (got '" + d.hidden_loss + "')");
  require(p, d.hidden_weight >= 0.0, prefix + ".hidden_weight", "must be >= 0");
  require(p, d.attention_weight >= 0.0, prefix + ".attention_weight", "must be >= 0");
}

/// Feature losses pair transformer layers: both models must be transformers and the map must fit.
void validateFeatures(std::vector<ConfigProblem>& p, const DistillConfig& d, const std::string& prefix,
                      const ModelSpec& student, const ModelSpec* teacher) {
  if (!d.usesFeatures()) return;
  require(p, student.isTransformer(), prefix + ".hidden_loss",
          "feature losses need a transformer student (this one is " + student.arch + ")");
  if (teacher)
    require(p, teacher->isTransformer(), prefix + ".hidden_loss",
            "feature losses need a transformer teacher (it is " + teacher->arch + ")");
  if (d.layer_map.empty()) return;
  require(p, static_cast<int>(d.layer_map.size()) == student.layers, prefix + ".layer_map",
          "needs one teacher layer per student layer (" + std::to_string(student.layers) + "), got " +
              std::to_string(d.layer_map.size()));
  const int teacherLayers = teacher ? teacher->layers : 1 << 30;
  for (size_t i = 0; i < d.layer_map.size(); ++i)
    require(
        p, d.layer_map[i] >= 1 && d.layer_map[i] <= teacherLayers, prefix + ".layer_map." + std::to_string(i),
        teacher ? "must be a teacher layer in [1, " + std::to_string(teacherLayers) + "]" : "must be >= 1");
}

}  // namespace

std::vector<ConfigProblem> validateModelSpec(const ModelSpec& spec, const std::string& prefix) {
  std::vector<ConfigProblem> p;
  validateModel(p, spec, prefix);
  return p;
}

std::optional<ConfigProblem> dataParallelProblem(const ExperimentConfig& c) {
  auto check = [](const DistillConfig& d, const std::string& prefix) -> std::optional<ConfigProblem> {
    // These students draw their own data (cache file order, teacher sequences, own samples), which
    // is not sharded across processes.
    if (d.regime != "word")
      return ConfigProblem{prefix + ".regime", 0, 0,
                           "data-parallel runs train word-level students only (got '" + d.regime +
                               "'; set train.processes: 1)"};
    if (d.cache_top_k > 0)
      return ConfigProblem{
          prefix + ".cache_top_k", 0, 0,
          "data-parallel runs read the teacher online: the logit cache needs train.processes: 1"};
    return std::nullopt;
  };
  if (auto problem = check(c.distill, "distill")) return problem;
  for (size_t i = 0; i < c.students.size(); ++i)
    if (c.students[i].distill)
      if (auto problem = check(*c.students[i].distill, "students." + std::to_string(i) + ".distill"))
        return problem;
  return std::nullopt;
}

namespace {

/// The experiment's and the students' names become folder and file names inside the run folder:
/// a shared experiment must not choose where files land (no separators, no "..", nothing hidden).
constexpr const char* kNameRule =
    "may use only letters A-Z a-z, digits 0-9, '_', '-' and '.', must not start with '.', at most 100 "
    "characters "
    "(it names files)";

bool isSafeName(const std::string& name) {
  if (name.empty() || name.size() > 100 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), isNameCharacter);
}

}  // namespace

std::vector<ConfigProblem> validateExperiment(const ExperimentConfig& c) {
  std::vector<ConfigProblem> p;
  require(p, !c.name.empty(), "name", "must not be empty");
  require(p, c.name.empty() || isSafeName(c.name), "name", kNameRule);
  require(p, !c.data.tokenizer.empty(), "data.tokenizer",
          "must be char, teacher or a tokenizer folder / file");
  require(p, c.data.tokenizer != "teacher" || !c.teacher.hf.empty(), "data.tokenizer",
          "'teacher' means the tokenizer in teacher.hf's folder, and teacher.hf is not set");
  require(p, c.teacher.hf.empty() || c.data.tokenizer != "char", "data.tokenizer",
          "an imported teacher reads its own token ids: set 'teacher' (its folder's tokenizer) or a "
          "tokenizer path");
  require(p, c.teacher.hf.empty() || c.teacher.checkpoint.empty(), "teacher.hf",
          "set either teacher.hf or teacher.checkpoint, not both");
  require(p, c.data.val_fraction > 0.0 && c.data.val_fraction < 1.0, "data.val_fraction",
          "must be in (0, 1)");
  require(p, c.data.block_size >= 2 && c.data.block_size <= 65536, "data.block_size",
          "must be in [2, 65536]");
  if (!c.teacher.pretrained()) validateModel(p, c.teacher.model, "teacher");
  std::set<std::string> names;
  for (size_t i = 0; i < c.students.size(); ++i) {
    const auto& s = c.students[i];
    const std::string prefix = "students." + std::to_string(i);
    require(p, !s.name.empty(), prefix + ".name", "must not be empty");
    require(p, s.name.empty() || isSafeName(s.name), prefix + ".name", kNameRule);
    require(p, s.name != "teacher", prefix + ".name", "'teacher' is reserved");
    require(p, names.insert(s.name).second, prefix + ".name", "duplicate student name '" + s.name + "'");
    validateModel(p, s.model, prefix);
    if (s.distill) validateDistill(p, *s.distill, prefix + ".distill");
    // A pretrained teacher is checked against its real shape when the run loads it.
    const ModelSpec* teacher = c.teacher.pretrained() ? nullptr : &c.teacher.model;
    require(p, !s.init_from_teacher || c.teacher.pretrained(), prefix + ".init_from_teacher",
            "needs a pretrained teacher (teacher.hf or teacher.checkpoint): one trained in this run does not "
            "exist yet");
    validateFeatures(p, s.distill.value_or(c.distill), s.distill ? prefix + ".distill" : "distill", s.model,
                     teacher);
    require(p, s.init_seed >= -1, prefix + ".init_seed", "must be >= 0 (or -1: from train.seed)");
  }
  validateDistill(p, c.distill, "distill");
  // Generated sequences keep at least one new token after their corpus prefix.
  auto checkPrefix = [&](const DistillConfig& d, const std::string& prefix) {
    if (d.regime != "word")
      require(p, d.prefix_tokens < c.data.block_size, prefix + ".prefix_tokens",
              "must be below data.block_size (" + std::to_string(c.data.block_size) + ")");
  };
  checkPrefix(c.distill, "distill");
  for (size_t i = 0; i < c.students.size(); ++i)
    if (c.students[i].distill)
      checkPrefix(*c.students[i].distill, "students." + std::to_string(i) + ".distill");
  const auto& t = c.train;
  require(p, t.steps >= 0, "train.steps", "must be >= 0");
  require(p, t.student_steps >= 0, "train.student_steps", "must be >= 0 (0: same as steps)");
  require(p, t.batch_size >= 1 && t.batch_size <= 65536, "train.batch_size", "must be in [1, 65536]");
  require(p, t.lr > 0.0 && t.lr < 10.0, "train.lr", "must be in (0, 10)");
  require(p, t.min_lr >= 0.0 && t.min_lr <= t.lr, "train.min_lr", "must be in [0, lr]");
  require(p, t.warmup_steps >= 0, "train.warmup_steps", "must be >= 0");
  require(p, t.weight_decay >= 0.0, "train.weight_decay", "must be >= 0");
  require(p, t.beta1 >= 0.0 && t.beta1 < 1.0, "train.beta1", "must be in [0, 1)");
  require(p, t.beta2 >= 0.0 && t.beta2 < 1.0, "train.beta2", "must be in [0, 1)");
  require(p, t.grad_clip >= 0.0, "train.grad_clip", "must be >= 0 (0 disables clipping)");
  require(p, t.eval_interval >= 1, "train.eval_interval", "must be >= 1");
  require(p, t.eval_batches >= 1, "train.eval_batches", "must be >= 1");
  require(p, t.log_interval >= 1, "train.log_interval", "must be >= 1");
  require(p, t.checkpoint_interval >= 0, "train.checkpoint_interval",
          "must be >= 0 (0: only when the run stops)");
  require(p, t.keep_checkpoints >= 1 && t.keep_checkpoints <= 1000, "train.keep_checkpoints",
          "must be in [1, 1000]");
  require(p, t.threads >= 0 && t.threads <= 1024, "train.threads", "must be in [0, 1024]");
  require(p, t.processes >= 1 && t.processes <= 256, "train.processes", "must be in [1, 256]");
  if (t.processes > 1)
    if (auto problem = dataParallelProblem(c)) p.push_back(*problem);
  const auto& g = c.generate;
  require(p, g.max_new_tokens >= 0 && g.max_new_tokens <= 100000, "generate.max_new_tokens",
          "must be in [0, 100000]");
  require(p, g.temperature >= 0.0, "generate.temperature", "must be >= 0 (0: greedy)");
  require(p, g.top_k >= 0, "generate.top_k", "must be >= 0 (0: off)");
  require(p, g.top_p > 0.0 && g.top_p <= 1.0, "generate.top_p", "must be in (0, 1]");
  return p;
}

namespace {

void emitModel(YAML::Emitter& out, const ModelSpec& m) {
  out << YAML::Key << "arch" << YAML::Value << m.arch;
  out << YAML::Key << "layers" << YAML::Value << m.layers;
  if (m.isTransformer()) out << YAML::Key << "heads" << YAML::Value << m.heads;
  if (m.arch == "llama") out << YAML::Key << "kv_heads" << YAML::Value << m.kv_heads;
  out << YAML::Key << "embd" << YAML::Value << m.embd;
  if (m.arch != "transformer") out << YAML::Key << "hidden" << YAML::Value << m.hidden;
  out << YAML::Key << "dropout" << YAML::Value << m.dropout;
  if (m.isTransformer()) {
    out << YAML::Key << "bias" << YAML::Value << m.bias;
    out << YAML::Key << "tie_weights" << YAML::Value << m.tie_weights;
  }
}

void emitDistill(YAML::Emitter& out, const DistillConfig& d) {
  out << YAML::BeginMap;
  out << YAML::Key << "loss" << YAML::Value << d.loss;
  out << YAML::Key << "temperature" << YAML::Value << d.temperature;
  out << YAML::Key << "alpha" << YAML::Value << d.alpha;
  out << YAML::Key << "beta" << YAML::Value << d.beta;
  out << YAML::Key << "skew" << YAML::Value << d.skew;
  out << YAML::Key << "temperature_schedule" << YAML::Value << d.temperature_schedule;
  out << YAML::Key << "temperature_end" << YAML::Value << d.temperature_end;
  out << YAML::Key << "alpha_schedule" << YAML::Value << d.alpha_schedule;
  out << YAML::Key << "alpha_end" << YAML::Value << d.alpha_end;
  out << YAML::Key << "cache_top_k" << YAML::Value << d.cache_top_k;
  if (!d.cache_path.empty()) out << YAML::Key << "cache_path" << YAML::Value << d.cache_path;
  out << YAML::Key << "regime" << YAML::Value << d.regime;
  out << YAML::Key << "prefix_tokens" << YAML::Value << d.prefix_tokens;
  out << YAML::Key << "sample_temperature" << YAML::Value << d.sample_temperature;
  out << YAML::Key << "sample_top_k" << YAML::Value << d.sample_top_k;
  out << YAML::Key << "sequence_count" << YAML::Value << d.sequence_count;
  if (!d.sequence_path.empty()) out << YAML::Key << "sequence_path" << YAML::Value << d.sequence_path;
  out << YAML::Key << "on_policy_fraction" << YAML::Value << d.on_policy_fraction;
  out << YAML::Key << "hidden_loss" << YAML::Value << d.hidden_loss;
  out << YAML::Key << "hidden_weight" << YAML::Value << d.hidden_weight;
  out << YAML::Key << "attention_weight" << YAML::Value << d.attention_weight;
  if (!d.layer_map.empty()) out << YAML::Key << "layer_map" << YAML::Value << YAML::Flow << d.layer_map;
  out << YAML::EndMap;
}

}  // namespace

std::string experimentToYaml(const ExperimentConfig& c) {
  YAML::Emitter out;
  out.SetDoublePrecision(10);
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << c.name;

  out << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "corpus" << YAML::Value << c.data.corpus;
  out << YAML::Key << "tokenizer" << YAML::Value << c.data.tokenizer;
  out << YAML::Key << "val_fraction" << YAML::Value << c.data.val_fraction;
  out << YAML::Key << "block_size" << YAML::Value << c.data.block_size;
  out << YAML::EndMap;

  out << YAML::Key << "teacher" << YAML::Value << YAML::BeginMap;
  emitModel(out, c.teacher.model);
  if (!c.teacher.checkpoint.empty()) out << YAML::Key << "checkpoint" << YAML::Value << c.teacher.checkpoint;
  if (!c.teacher.hf.empty()) out << YAML::Key << "hf" << YAML::Value << c.teacher.hf;
  out << YAML::EndMap;

  out << YAML::Key << "students" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : c.students) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << s.name;
    emitModel(out, s.model);
    if (!s.scratch_twin) out << YAML::Key << "scratch_twin" << YAML::Value << false;
    if (s.init_seed >= 0) out << YAML::Key << "init_seed" << YAML::Value << s.init_seed;
    if (s.init_from_teacher) out << YAML::Key << "init_from_teacher" << YAML::Value << true;
    if (s.distill) {
      out << YAML::Key << "distill" << YAML::Value;
      emitDistill(out, *s.distill);
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "distill" << YAML::Value;
  emitDistill(out, c.distill);

  const auto& t = c.train;
  out << YAML::Key << "train" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "steps" << YAML::Value << t.steps;
  out << YAML::Key << "student_steps" << YAML::Value << t.student_steps;
  out << YAML::Key << "batch_size" << YAML::Value << t.batch_size;
  out << YAML::Key << "lr" << YAML::Value << t.lr;
  out << YAML::Key << "min_lr" << YAML::Value << t.min_lr;
  out << YAML::Key << "warmup_steps" << YAML::Value << t.warmup_steps;
  out << YAML::Key << "weight_decay" << YAML::Value << t.weight_decay;
  out << YAML::Key << "beta1" << YAML::Value << t.beta1;
  out << YAML::Key << "beta2" << YAML::Value << t.beta2;
  out << YAML::Key << "grad_clip" << YAML::Value << t.grad_clip;
  out << YAML::Key << "eval_interval" << YAML::Value << t.eval_interval;
  out << YAML::Key << "eval_batches" << YAML::Value << t.eval_batches;
  out << YAML::Key << "log_interval" << YAML::Value << t.log_interval;
  out << YAML::Key << "checkpoint_interval" << YAML::Value << t.checkpoint_interval;
  out << YAML::Key << "keep_checkpoints" << YAML::Value << t.keep_checkpoints;
  out << YAML::Key << "seed" << YAML::Value << t.seed;
  out << YAML::Key << "threads" << YAML::Value << t.threads;
  out << YAML::Key << "processes" << YAML::Value << t.processes;
  out << YAML::EndMap;

  const auto& g = c.generate;
  out << YAML::Key << "generate" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "prompts" << YAML::Value << YAML::BeginSeq;
  for (const auto& prompt : g.prompts) out << YAML::DoubleQuoted << prompt;
  out << YAML::EndSeq;
  out << YAML::Key << "max_new_tokens" << YAML::Value << g.max_new_tokens;
  out << YAML::Key << "temperature" << YAML::Value << g.temperature;
  out << YAML::Key << "top_k" << YAML::Value << g.top_k;
  out << YAML::Key << "top_p" << YAML::Value << g.top_p;
  out << YAML::Key << "seed" << YAML::Value << g.seed;
  out << YAML::EndMap;

  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace distill
