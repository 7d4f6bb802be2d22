#include "distill/twin_comparison.h"

#include <cmath>

namespace distill {

TwinComparison compareWithTwin(double teacherLoss, double distilledLoss, double scratchLoss) {
  TwinComparison c;
  c.delta = distilledLoss - scratchLoss;
  const double gap = scratchLoss - teacherLoss;
  c.gapRecovered = std::isfinite(gap) && gap > 0.0 ? (scratchLoss - distilledLoss) / gap : std::nan("");
  if (!std::isfinite(c.delta)) {
    c.verdict = TwinComparison::Verdict::NotMeasured;
    c.gapRecovered = std::nan("");
  } else if (std::abs(c.delta) < kTieTolerance) {
    c.verdict = TwinComparison::Verdict::Tie;
  } else {
    c.verdict =
        c.delta < 0.0 ? TwinComparison::Verdict::DistillationWins : TwinComparison::Verdict::ScratchWins;
  }
  return c;
}

std::string verdictText(TwinComparison::Verdict verdict) {
  switch (verdict) {
    case TwinComparison::Verdict::DistillationWins:
      return "distillation wins";
    case TwinComparison::Verdict::Tie:
      return "tie";
    case TwinComparison::Verdict::ScratchWins:
      return "distillation does not win";
    case TwinComparison::Verdict::NotMeasured:
      break;
  }
  return "not trained";
}

std::string twinVerdict(const TwinPair& pair) {
  if (pair.paired.pairs >= 2) return verdictText(pair.paired.verdict);
  return verdictText(pair.comparison.verdict);
}

const ModelSummary* referenceTeacher(const std::vector<ModelSummary>& models) {
  const ModelSummary* best = nullptr;
  for (const auto& m : models)
    if (m.role == ModelRole::Teacher && (!best || m.valLoss < best->valLoss)) best = &m;
  return best;
}

std::vector<TwinPair> twinPairs(const std::vector<ModelSummary>& models) {
  const ModelSummary* teacher = referenceTeacher(models);
  std::vector<TwinPair> pairs;
  for (const auto& kd : models) {
    if (kd.role != ModelRole::Distilled || kd.name.size() < 3) continue;
    TwinPair pair;
    pair.student = kd.name.substr(0, kd.name.size() - 3);  // "<student>-kd"
    pair.distilled = &kd;
    for (const auto& m : models)
      if (m.name == pair.student + "-scratch") pair.scratch = &m;
    if (!pair.scratch) continue;
    pair.comparison =
        compareWithTwin(teacher ? teacher->valLoss : std::nan(""), kd.valLoss, pair.scratch->valLoss);
    pair.paired = pairedOverRepeats(kd.repeats, pair.scratch->repeats);
    pairs.push_back(pair);
  }
  return pairs;
}

}  // namespace distill
