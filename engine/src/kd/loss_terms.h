#pragma once

// The terms of a distilled student's objective, declared once: tensors in the loss, numbers in the
// trainer and across data-parallel ranks, metric names in the run's log.

#include <utility>

#include "distill/metric_names.h"

namespace distill {

template <class T>
struct LossTerms {
  T soft;       ///< KD term; absent when the targets carry no teacher distribution
  T hard;       ///< cross-entropy on the batch's next tokens; absent on on-policy batches
  T hidden;     ///< hidden-state feature term; absent unless hidden_loss is set
  T attention;  ///< attention-map feature term; absent unless attention_weight > 0

  /// f(metric name, term) for every term, always in this order (ranks pack them by it).
  template <class F>
  void forEach(F&& f) {
    f(metric::kSoftLoss, soft);
    f(metric::kHardLoss, hard);
    f(metric::kHiddenLoss, hidden);
    f(metric::kAttentionLoss, attention);
  }
  template <class F>
  void forEach(F&& f) const {
    f(metric::kSoftLoss, soft);
    f(metric::kHardLoss, hard);
    f(metric::kHiddenLoss, hidden);
    f(metric::kAttentionLoss, attention);
  }
  /// The same terms, each converted by `convert`.
  template <class F>
  auto map(F&& convert) const -> LossTerms<decltype(convert(std::declval<const T&>()))> {
    return {convert(soft), convert(hard), convert(hidden), convert(attention)};
  }
};

}  // namespace distill
