#pragma once

#include <torch/torch.h>

#include <limits>
#include <vector>

#include "data/corpus.h"
#include "models/language_model.h"

namespace distill {

/// A model against one teacher of an ensemble.
struct TeacherMatch {
  double agreement = 1.0;
  double kl = 0.0;
};

struct EvalResult {
  double loss = 0.0;                    ///< mean cross-entropy on the batches
  double agreement = 1.0;               ///< share of positions where student and teacher argmax agree
  double klFromTeacher = 0.0;           ///< mean KL(teacher || model) per token at T = 1
  std::vector<TeacherMatch> byTeacher;  ///< against each member of an ensemble (empty: one teacher)
  /// `loss` in bits per character of the validation text (bits_per_char.h); set by the run, which
  /// knows the tokenizer.
  double bitsPerChar = std::numeric_limits<double>::quiet_NaN();
};

class Collective;

/// Teacher logits for fixed evaluation batches, computed once per run. With a `group`, only this
/// rank's share of the batches (evaluate()'s split; the others stay undefined).
std::vector<torch::Tensor> teacherLogitsFor(LanguageModelImpl& teacher, const std::vector<Batch>& batches,
                                            const Collective* group = nullptr);

/// Evaluates in eval mode without gradients; restores the previous training mode.
/// `teacherLogits` (one per batch) enables agreement and KL. With a `group`, each rank evaluates
/// every world-size-th batch and the sums are reduced: every rank gets the whole set's numbers.
/// `memberLogits`: an ensemble's members' logits (one list per member), for byTeacher.
EvalResult evaluate(LanguageModelImpl& model, const std::vector<Batch>& batches,
                    const std::vector<torch::Tensor>* teacherLogits = nullptr, Collective* group = nullptr,
                    const std::vector<std::vector<torch::Tensor>>* memberLogits = nullptr);

}  // namespace distill
