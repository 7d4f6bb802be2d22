#include "kd/divergences.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace distill {

namespace {

/// Σ_v p (log p − log q) with p given in log space; terms where p = 0 contribute 0, also when
/// log q is −inf there (0 · ∞ would be NaN).
torch::Tensor klFromLogs(const torch::Tensor& logP, const torch::Tensor& logQ) {
  auto p = logP.exp();
  auto terms = p * (logP - logQ);
  return torch::where(p > 0, terms, torch::zeros_like(terms)).sum(-1);
}

/// log(w·exp(a) + (1−w)·exp(b)), stable; w in [0, 1].
torch::Tensor logMix(const torch::Tensor& logA, const torch::Tensor& logB, double w) {
  if (w <= 0.0) return logB;
  if (w >= 1.0) return logA;
  return torch::logsumexp(torch::stack({logA + std::log(w), logB + std::log1p(-w)}), 0);
}

/// ULD's transport cost: both (N, V) probability rows sorted in decreasing order, the shorter padded
/// with zeros, Σ |difference|. It needs no shared vocabulary: only the sorted masses are compared.
torch::Tensor sortedProbabilityDistance(const torch::Tensor& student, const torch::Tensor& teacher) {
  auto sorted = [](const torch::Tensor& p, int64_t width) {
    auto values = std::get<0>(p.sort(-1, /*descending=*/true));
    return width > p.size(-1) ? torch::constant_pad_nd(values, {0, width - p.size(-1)}) : values;
  };
  const int64_t width = std::max(student.size(-1), teacher.size(-1));
  return (sorted(student, width) - sorted(teacher, width)).abs().sum(-1);
}

}  // namespace

torch::Tensor perTokenDivergence(const torch::Tensor& student, const torch::Tensor& teacher,
                                 const DivergenceOptions& o) {
  if (o.kind == Divergence::Mse) return (student - teacher).pow(2).mean(-1);  // (N,)
  const double T = o.temperature;
  auto logPs = torch::log_softmax(student / T, -1);  // (N, V)
  auto logPt = torch::log_softmax(teacher / T, -1);  // (N, V)
  const double scale = T * T;  // keeps gradient magnitudes comparable across temperatures
  switch (o.kind) {
    case Divergence::Kl:
      return klFromLogs(logPt, logPs) * scale;
    case Divergence::ReverseKl:
      return klFromLogs(logPs, logPt) * scale;
    case Divergence::Jsd: {
      if (o.beta <= 0.0) return klFromLogs(logPt, logPs) * scale;
      if (o.beta >= 1.0) return klFromLogs(logPs, logPt) * scale;
      auto logM = logMix(logPt, logPs, o.beta);  // M = β p_t + (1 − β) p_s
      return (o.beta * klFromLogs(logPt, logM) + (1.0 - o.beta) * klFromLogs(logPs, logM)) * scale;
    }
    case Divergence::SkewKl:
      return klFromLogs(logPt, logMix(logPt, logPs, o.skew)) * scale;
    case Divergence::SkewReverseKl:
      return klFromLogs(logPs, logMix(logPs, logPt, o.skew)) * scale;
    case Divergence::Tvd:
      return 0.5 * (logPt.exp() - logPs.exp()).abs().sum(-1);
    case Divergence::Uld:
      return sortedProbabilityDistance(logPs.exp(), logPt.exp());
    case Divergence::Mse:
      break;
  }
  return (student - teacher).pow(2).mean(-1);
}

torch::Tensor maskedMean(const torch::Tensor& values, const torch::Tensor& mask) {
  if (!mask.defined()) return values.mean();
  auto weights = mask.to(values.scalar_type());
  return (values * weights).sum() / weights.sum().clamp_min(1.0);
}

}  // namespace distill
