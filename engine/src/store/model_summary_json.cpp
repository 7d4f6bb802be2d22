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

Json modelSummaryJson(const ModelSummary& m) {
  return {{"role", roleName(m.role)},
          {"arch", m.arch},
          {"params", m.params},
          {"steps", m.steps},
          {"trained", m.trained},
          {"val_loss", number(m.valLoss)},
          {"val_perplexity", number(m.valPerplexity)},
          {"agreement", number(m.agreement)},
          {"kl_from_teacher", number(m.klFromTeacher)},
          {"gen_tokens_per_s", number(m.genTokensPerSecond)},
          {"gen_recompute_tokens_per_s", number(m.genRecomputeTokensPerSecond)},
          {"gen_speedup_vs_teacher", number(m.genSpeedupVsTeacher)},
          {"train_tokens_per_s", number(m.trainTokensPerSecond)}};
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
  s.agreement = numberAt(m, "agreement");
  s.klFromTeacher = numberAt(m, "kl_from_teacher");
  s.genTokensPerSecond = numberAt(m, "gen_tokens_per_s");
  s.genRecomputeTokensPerSecond = numberAt(m, "gen_recompute_tokens_per_s");
  s.genSpeedupVsTeacher = numberAt(m, "gen_speedup_vs_teacher");
  s.trainTokensPerSecond = numberAt(m, "train_tokens_per_s");
  return s;
}

}  // namespace distill
