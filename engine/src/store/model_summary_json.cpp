#include "store/model_summary_json.h"

#include <cmath>

namespace distill {

namespace {

using Json = nlohmann::ordered_json;

Json number(double v) { return std::isfinite(v) ? Json(v) : Json(); }

double numberAt(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

}  // namespace

Json repeatOutcomeJson(const RepeatOutcome& o) {
  return {{"repeat", o.repeat},
          {"seed", o.seed},
          {"steps", o.steps},
          {"val_loss", number(o.valLoss)},
          {"val_perplexity", number(o.valPerplexity)},
          {"bits_per_char", number(o.valBitsPerChar)},
          {"agreement", number(o.agreement)},
          {"kl_from_teacher", number(o.klFromTeacher)}};
}

RepeatOutcome repeatOutcomeFromJson(const Json& j) {
  RepeatOutcome o;
  o.repeat = j.value("repeat", 1);
  o.seed = j.value("seed", 0);
  o.steps = j.value("steps", 0);
  o.valLoss = numberAt(j, "val_loss");
  o.valPerplexity = numberAt(j, "val_perplexity");
  o.valBitsPerChar = numberAt(j, "bits_per_char");
  o.agreement = numberAt(j, "agreement");
  o.klFromTeacher = numberAt(j, "kl_from_teacher");
  return o;
}

Json modelSummaryJson(const ModelSummary& m) {
  Json j = {{"role", roleName(m.role)},
            {"arch", m.arch},
            {"params", m.params},
            {"steps", m.steps},
            {"trained", m.trained},
            {"val_loss", number(m.valLoss)},
            {"val_perplexity", number(m.valPerplexity)},
            {"bits_per_char", number(m.valBitsPerChar)},
            {"agreement", number(m.agreement)},
            {"kl_from_teacher", number(m.klFromTeacher)},
            {"gen_tokens_per_s", number(m.genTokensPerSecond)},
            {"gen_recompute_tokens_per_s", number(m.genRecomputeTokensPerSecond)},
            {"gen_speedup_vs_teacher", number(m.genSpeedupVsTeacher)},
            {"train_tokens_per_s", number(m.trainTokensPerSecond)}};
  for (const auto& t : m.byTeacher)
    j["by_teacher"][t.teacher] = {{"agreement", number(t.agreement)}, {"kl", number(t.kl)}};
  if (m.responses.examples > 0) {
    const auto& r = m.responses;
    j["held_out_answers"] = {{"examples", r.examples},
                             {"exact_match", number(r.exactMatch)},
                             {"rouge_l", number(r.rougeL)},
                             {"exact_match_teacher", number(r.exactMatchTeacher)},
                             {"rouge_l_teacher", number(r.rougeLTeacher)}};
  }
  if (m.repeats.empty()) return j;
  // The numbers above are the repeats' means; their sample standard deviations beside them.
  j["val_loss_sd"] = number(spreadOf(m.repeats, &RepeatOutcome::valLoss).sd);
  j["val_perplexity_sd"] = number(spreadOf(m.repeats, &RepeatOutcome::valPerplexity).sd);
  j["bits_per_char_sd"] = number(spreadOf(m.repeats, &RepeatOutcome::valBitsPerChar).sd);
  j["agreement_sd"] = number(spreadOf(m.repeats, &RepeatOutcome::agreement).sd);
  j["kl_from_teacher_sd"] = number(spreadOf(m.repeats, &RepeatOutcome::klFromTeacher).sd);
  j["repeats"] = Json::array();
  for (const auto& o : m.repeats) j["repeats"].push_back(repeatOutcomeJson(o));
  return j;
}

ModelSummary modelSummaryFromJson(const std::string& name, const Json& m) {
  ModelSummary s;
  s.name = name;
  s.role = parseModelRole(m.value("role", std::string())).value_or(ModelRole::Scratch);
  s.arch = m.value("arch", std::string());
  s.params = m.value("params", 0LL);
  s.steps = m.value("steps", 0);
  s.trained = m.value("trained", true);
  s.valLoss = numberAt(m, "val_loss");
  s.valPerplexity = numberAt(m, "val_perplexity");
  s.valBitsPerChar = numberAt(m, "bits_per_char");
  s.agreement = numberAt(m, "agreement");
  s.klFromTeacher = numberAt(m, "kl_from_teacher");
  s.genTokensPerSecond = numberAt(m, "gen_tokens_per_s");
  s.genRecomputeTokensPerSecond = numberAt(m, "gen_recompute_tokens_per_s");
  s.genSpeedupVsTeacher = numberAt(m, "gen_speedup_vs_teacher");
  s.trainTokensPerSecond = numberAt(m, "train_tokens_per_s");
  if (const auto it = m.find("by_teacher"); it != m.end() && it->is_object())
    for (const auto& [teacher, match] : it->items())
      s.byTeacher.push_back({teacher, numberAt(match, "agreement"), numberAt(match, "kl")});
  if (const auto it = m.find("held_out_answers"); it != m.end() && it->is_object()) {
    s.responses.examples = it->value("examples", 0);
    s.responses.exactMatch = numberAt(*it, "exact_match");
    s.responses.rougeL = numberAt(*it, "rouge_l");
    s.responses.exactMatchTeacher = numberAt(*it, "exact_match_teacher");
    s.responses.rougeLTeacher = numberAt(*it, "rouge_l_teacher");
  }
  if (const auto it = m.find("repeats"); it != m.end() && it->is_array())
    for (const auto& o : *it) s.repeats.push_back(repeatOutcomeFromJson(o));
  return s;
}

}  // namespace distill
