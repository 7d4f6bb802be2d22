#include "distill/config.h"
#include "distill/schedule.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "config/run_names.h"
#include "config/schema_fields.h"
#include "util/device_check.h"

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
  schema::checkFields(schema::modelFields(), m, prefix, p);
  if (m.isTransformer())
    require(p, m.heads >= 1 && m.embd % std::max(1, m.heads) == 0, prefix + ".heads",
            "must divide embd (" + std::to_string(m.embd) + ")");
  if (m.arch == Arch::Llama) {
    require(p, m.kv_heads >= 0 && m.kv_heads <= m.heads && (m.kv_heads == 0 || m.heads % m.kv_heads == 0),
            prefix + ".kv_heads", "must divide heads (" + std::to_string(m.heads) + "); 0 means heads");
    require(p, (m.embd / std::max(1, m.heads)) % 2 == 0, prefix + ".heads",
            "rotary positions need an even head size (embd / heads)");
  } else {
    require(p, m.kv_heads == 0, prefix + ".kv_heads", "applies to arch llama only");
  }
}

void validateDistill(std::vector<ConfigProblem>& p, const DistillConfig& d, const std::string& prefix) {
  schema::checkFields(schema::distillFields(), d, prefix, p);
  if (d.cache_top_k > 0) {
    require(p, d.loss == DistillLoss::Kl, prefix + ".cache_top_k", "the logit cache supports loss kl only");
    require(p, d.temperature_schedule == Schedule::Constant, prefix + ".cache_top_k",
            "the logit cache needs a constant temperature (it stores distributions at that temperature)");
    require(p, d.regime == Regime::Word, prefix + ".cache_top_k",
            "the logit cache holds corpus windows: regime must be word");
    require(p, !d.usesFeatures(), prefix + ".cache_top_k",
            "feature losses need the teacher online (hidden_loss none and attention_weight 0 with a cache)");
  }
}

/// Feature losses pair transformer layers: both models must be transformers and the map must fit.
void validateFeatures(std::vector<ConfigProblem>& p, const DistillConfig& d, const std::string& prefix,
                      const ModelSpec& student, const ModelSpec* teacher) {
  if (!d.usesFeatures()) return;
  require(
      p, student.isTransformer(), prefix + ".hidden_loss",
      "feature losses need a transformer student (this one is " + std::string(nameOf(student.arch)) + ")");
  if (teacher)
    require(p, teacher->isTransformer(), prefix + ".hidden_loss",
            "feature losses need a transformer teacher (it is " + std::string(nameOf(teacher->arch)) + ")");
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

/// Rules that span students: the teacher writes one logit cache and one sequence set per run, so
/// the students that read them must agree on what decides their contents. Each problem names the
/// key of the student that differs from the first reader (its own distill section, or the global
/// one it inherits).
void validateSharedTeacherData(std::vector<ConfigProblem>& p, const ExperimentConfig& c) {
  struct Reader {
    const DistillConfig* settings;
    std::string prefix;  // "students.<i>.distill" or "distill"
    std::string who;     // "students.<i> (<name>)"
  };
  std::vector<Reader> cache, sequences;
  for (size_t i = 0; i < c.students.size(); ++i) {
    const auto& s = c.students[i];
    const std::string index = "students." + std::to_string(i);
    Reader reader{s.distill ? &*s.distill : &c.distill, s.distill ? index + ".distill" : "distill",
                  index + " (" + s.name + ")"};
    if (reader.settings->regime == Regime::Sequence)
      sequences.push_back(reader);
    else if (reader.settings->cache_top_k > 0)
      cache.push_back(reader);
  }
  auto agree = [&](const std::vector<Reader>& readers, const char* what, const char* key, auto value) {
    for (size_t k = 1; k < readers.size(); ++k) {
      const auto mine = value(*readers[k].settings), first = value(*readers[0].settings);
      if (mine == first) continue;
      std::ostringstream message;
      message << "students " << what << " share one, so they must agree on " << key << ": " << mine
              << " here, " << first << " for " << readers[0].who;
      p.push_back({readers[k].prefix + "." + key, 0, 0, message.str()});
    }
  };
  agree(cache, "reading the teacher's logit cache", "cache_top_k",
        [](const DistillConfig& d) { return d.cache_top_k; });
  agree(cache, "reading the teacher's logit cache", "temperature",
        [](const DistillConfig& d) { return d.temperature; });
  const char* set = "trained on the teacher's sequences (regime: sequence)";
  agree(sequences, set, "sequence_count", [](const DistillConfig& d) { return d.sequence_count; });
  agree(sequences, set, "prefix_tokens", [](const DistillConfig& d) { return d.prefix_tokens; });
  agree(sequences, set, "sample_temperature", [](const DistillConfig& d) { return d.sample_temperature; });
  agree(sequences, set, "sample_top_k", [](const DistillConfig& d) { return d.sample_top_k; });
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
    if (d.regime != Regime::Word)
      return ConfigProblem{prefix + ".regime", 0, 0,
                           "data-parallel runs train word-level students only (got '" +
                               std::string(nameOf(d.regime)) + "'; set train.processes: 1)"};
    if (d.cache_top_k > 0)
      return ConfigProblem{
          prefix + ".cache_top_k", 0, 0,
          "data-parallel runs read the teacher online: the logit cache needs train.processes: 1"};
    return std::nullopt;
  };
  if (c.train.repeats > 1)
    return ConfigProblem{"train.repeats", 0, 0,
                         "data-parallel runs train once: set train.repeats: 1 (or train.processes: 1 "
                         "to repeat)"};
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

namespace {

/// Where the data and the teacher come from: rules between data.tokenizer and teacher.hf/checkpoint.
void validateSources(std::vector<ConfigProblem>& p, const ExperimentConfig& c) {
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
}

void validateStudent(std::vector<ConfigProblem>& p, const ExperimentConfig& c, size_t i,
                     std::set<std::string>& names) {
  const auto& s = c.students[i];
  const std::string prefix = "students." + std::to_string(i);
  schema::checkFields(schema::studentFields(), s, prefix, p);
  require(p, !s.name.empty(), prefix + ".name", "must not be empty");
  require(p, s.name.empty() || isSafeName(s.name), prefix + ".name", kNameRule);
  require(p, s.name.rfind("teacher", 0) != 0, prefix + ".name",
          "names starting with 'teacher' are the teachers' ('teacher', 'teacher-<name>')");
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
  // Generated sequences keep at least one new token after their corpus prefix.
  if (s.distill && s.distill->regime != Regime::Word)
    require(p, s.distill->prefix_tokens < c.data.block_size, prefix + ".distill.prefix_tokens",
            "must be below data.block_size (" + std::to_string(c.data.block_size) + ")");
}

/// `teachers:` — each member a valid teacher with a unique name; what an ensemble cannot serve yet
/// (one distribution written to a file, one teacher's features or weights) is refused per student.
void validateEnsemble(std::vector<ConfigProblem>& p, const ExperimentConfig& c) {
  std::set<std::string> names;
  for (size_t i = 0; i < c.teachers.size(); ++i) {
    const auto& t = c.teachers[i];
    const std::string prefix = "teachers." + std::to_string(i);
    schema::checkFields(schema::teacherMemberFields(), t, prefix, p);
    require(p, isSafeName(t.name), prefix + ".name", kNameRule);
    require(p, names.insert(t.name).second, prefix + ".name", "duplicate teacher name '" + t.name + "'");
    require(p, t.hf.empty() || t.checkpoint.empty(), prefix + ".hf", "set either hf or checkpoint, not both");
    if (!t.pretrained()) validateModel(p, t.model, prefix);
  }
  require(p, !c.ensemble() || c.train.processes == 1, "train.processes",
          "an ensemble of teachers trains on one process (set train.processes: 1)");
  auto refuse = [&](const DistillConfig& d, const std::string& prefix) {
    const std::string why = " with an ensemble of teachers: not built (one teacher's ";
    require(p, d.cache_top_k == 0, prefix + ".cache_top_k",
            "the logit cache" + why + "distribution is written once); distil online");
    require(p, d.regime != Regime::Sequence, prefix + ".regime",
            "sequence" + why + "samples); use word or on_policy");
    require(p, !d.usesFeatures(), prefix + ".hidden_loss",
            "feature losses" + why + "layers are matched); set hidden_loss: none, attention_weight: 0");
  };
  auto requireMember = [&](const DistillConfig& d, const std::string& prefix) {
    require(p, d.teacher.empty() || names.count(d.teacher), prefix + ".teacher",
            c.ensemble() ? "names no member of teachers ('" + d.teacher + "')"
                         : "picks a member of an ensemble: needs `teachers:`");
  };
  requireMember(c.distill, "distill");
  for (size_t i = 0; i < c.students.size(); ++i)
    if (c.students[i].distill)
      requireMember(*c.students[i].distill, "students." + std::to_string(i) + ".distill");
  if (!c.ensemble()) return;
  refuse(c.distill, "distill");
  for (size_t i = 0; i < c.students.size(); ++i) {
    const auto& s = c.students[i];
    const std::string prefix = "students." + std::to_string(i);
    if (s.distill) refuse(*s.distill, prefix + ".distill");
    require(p, !s.init_from_teacher, prefix + ".init_from_teacher",
            "copies one teacher's layers: not with an ensemble of teachers");
  }
}

/// A student with its own tokenizer: its vocabulary is not the teacher's, so only the losses that
/// need no shared vocabulary apply — ULD on positions aligned by order, or the teacher's text
/// re-tokenized (sequence-level, alpha 0). Every refusal names both tokenizers.
void validateStudentTokenizer(std::vector<ConfigProblem>& p, const ExperimentConfig& c, size_t i) {
  const auto& s = c.students[i];
  if (!hasOwnTokenizer(s, c.data)) return;
  const std::string prefix = "students." + std::to_string(i);
  const std::string key = s.distill ? prefix + ".distill" : "distill";
  const DistillConfig d = s.distill.value_or(c.distill);
  const std::string both =
      "student '" + s.name + "' reads tokenizer " + s.tokenizer + ", the teacher " + c.data.tokenizer + ": ";
  const std::string options =
      "use distill.loss: uld, or regime: sequence with alpha: 0 (the teacher's text re-tokenized), or "
      "tokenizer: teacher";
  if (d.regime == Regime::Sequence) {
    require(p, d.alpha == 0.0 && (d.alpha_schedule == Schedule::Constant || d.alpha_end == 0.0),
            key + ".alpha",
            both + "sequence-level KD across tokenizers trains on the teacher's text alone: set alpha: 0");
  } else {
    require(p, d.loss == DistillLoss::Uld, key + ".loss",
            both + nameOf(d.loss) + " compares distributions over one vocabulary; " + options);
    require(p, d.regime == Regime::Word, key + ".regime",
            both + "on_policy needs one vocabulary; " + options);
  }
  require(p, !d.usesFeatures(), key + ".hidden_loss", both + "feature losses pair the teacher's positions");
  require(p, !s.init_from_teacher, prefix + ".init_from_teacher",
          both + "the teacher's embeddings are its ids'");
  require(p, !c.data.examples(), prefix + ".tokenizer",
          both + "not built for prompt/response data yet (running text only)");
  require(p, !c.ensemble(), prefix + ".tokenizer", both + "not with an ensemble of teachers");
  require(p, c.train.processes == 1, prefix + ".tokenizer",
          both + "trains on one process (train.processes: 1)");
}

/// Prompt/response examples: held-out files only with examples, and an end marker for responses.
void validateExamples(std::vector<ConfigProblem>& p, const ExperimentConfig& c) {
  require(p, c.data.examples() || c.data.val_corpus.empty(), "data.val_corpus",
          "holds held-out examples: only with data.format prompt_response or messages");
  if (!c.data.examples()) return;
  require(p, !c.data.response_end.empty(), "data.response_end",
          "must not be empty: without it a model cannot learn where a response stops");
}

}  // namespace

std::vector<ConfigProblem> validateExperiment(const ExperimentConfig& c) {
  std::vector<ConfigProblem> p;
  validateSources(p, c);
  schema::checkFields(schema::dataFields(), c.data, "data", p);
  validateExamples(p, c);
  validateEnsemble(p, c);
  if (!c.ensemble() && !c.teacher.pretrained()) validateModel(p, c.teacher.model, "teacher");
  std::set<std::string> names;
  for (size_t i = 0; i < c.students.size(); ++i) {
    validateStudent(p, c, i, names);
    validateStudentTokenizer(p, c, i);
  }
  validateDistill(p, c.distill, "distill");
  if (c.distill.regime != Regime::Word)
    require(p, c.distill.prefix_tokens < c.data.block_size, "distill.prefix_tokens",
            "must be below data.block_size (" + std::to_string(c.data.block_size) + ")");
  validateSharedTeacherData(p, c);
  schema::checkFields(schema::trainFields(), c.train, "train", p);
  require(p, c.train.min_lr <= c.train.lr, "train.min_lr", "must be at most train.lr");
  require(p, !c.train.repeat_teacher || !c.teacher.pretrained(), "train.repeat_teacher",
          "retrains the teacher in every repeat: a pretrained teacher (teacher.hf / teacher.checkpoint) is "
          "not trained here");
  if (c.train.processes > 1)
    if (auto problem = dataParallelProblem(c)) p.push_back(*problem);
  if (auto problem = computeProblem(c.train)) p.push_back(*problem);
  schema::checkFields(schema::generateFields(), c.generate, "generate", p);
  return p;
}

namespace {

/// Writes the fields that apply to `object`: optional ones only when they differ from the default.
template <class S>
void emitFields(YAML::Emitter& out, const std::vector<schema::Field<S>>& fields, const S& object,
                const S& defaults, const char* skip = nullptr) {
  for (const auto& f : fields) {
    if ((f.applies && !f.applies(object)) || (skip && std::string(f.key) == skip)) continue;
    std::visit(
        [&](auto member) {
          const auto& value = object.*member;
          if (f.onlyWhenSet && value == defaults.*member) return;
          using T = std::decay_t<decltype(value)>;
          out << YAML::Key << f.key << YAML::Value;
          if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            out << YAML::BeginSeq;
            for (const auto& item : value) out << YAML::DoubleQuoted << item;
            out << YAML::EndSeq;
          } else if constexpr (std::is_same_v<T, std::vector<int>>) {
            out << YAML::Flow << value;
          } else if constexpr (std::is_enum_v<T>) {
            out << nameOf(value);
          } else {
            out << value;
          }
        },
        f.member);
  }
}

template <class S>
void emitSection(YAML::Emitter& out, const char* name, const std::vector<schema::Field<S>>& fields,
                 const S& object) {
  out << YAML::Key << name << YAML::Value << YAML::BeginMap;
  emitFields(out, fields, object, S());
  out << YAML::EndMap;
}

void emitStudent(YAML::Emitter& out, const StudentConfig& s) {
  const StudentConfig defaults;
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << s.name;
  emitFields(out, schema::modelFields(), s.model, defaults.model);
  emitFields(out, schema::studentFields(), s, defaults, "name");
  if (s.distill) emitSection(out, "distill", schema::distillFields(), *s.distill);
  out << YAML::EndMap;
}

}  // namespace

std::string experimentToYaml(const ExperimentConfig& c) {
  YAML::Emitter out;
  out.SetDoublePrecision(10);
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << c.name;
  emitSection(out, "data", schema::dataFields(), c.data);
  auto emitTeacher = [&](const TeacherConfig& t, bool member) {
    out << YAML::BeginMap;
    if (member) emitFields(out, schema::teacherMemberFields(), t, TeacherConfig());
    emitFields(out, schema::modelFields(), t.model, ModelSpec());
    emitFields(out, schema::teacherFields(), t, TeacherConfig());
    out << YAML::EndMap;
  };
  if (c.ensemble()) {
    out << YAML::Key << "teachers" << YAML::Value << YAML::BeginSeq;
    for (const auto& t : c.teachers) emitTeacher(t, true);
    out << YAML::EndSeq;
  } else {
    out << YAML::Key << "teacher" << YAML::Value;
    emitTeacher(c.teacher, false);
  }
  out << YAML::Key << "students" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : c.students) emitStudent(out, s);
  out << YAML::EndSeq;
  emitSection(out, "distill", schema::distillFields(), c.distill);
  emitSection(out, "train", schema::trainFields(), c.train);
  emitSection(out, "generate", schema::generateFields(), c.generate);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace distill
