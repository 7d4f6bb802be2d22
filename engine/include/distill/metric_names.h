#pragma once

// The names of the metrics a run writes (metrics.jsonl) and reports (RunObserver): one place, so
// the engine, the charts and the run reader cannot drift apart.

#include <string>

namespace distill::metric {

/// What the model's optimiser minimised this step: cross-entropy for the teacher and the scratch
/// twins, the blended objective α·soft + (1−α)·hard (plus feature terms) for distilled students.
inline constexpr char kTrainLoss[] = "train/loss";
/// Distilled students' terms of the objective.
inline constexpr char kSoftLoss[] = "train/kd_loss";
/// Cross-entropy on the batch's next tokens (distilled students; absent on on-policy batches).
inline constexpr char kHardLoss[] = "train/ce_loss";
inline constexpr char kHiddenLoss[] = "train/hidden_loss";
inline constexpr char kAttentionLoss[] = "train/attention_loss";
inline constexpr char kValLoss[] = "val/loss";
/// val/loss in bits per character of the validation text: comparable across tokenizers.
inline constexpr char kValBitsPerChar[] = "val/bits_per_char";
inline constexpr char kValAgreement[] = "val/agreement";
inline constexpr char kValKlFromTeacher[] = "val/kl_from_teacher";
/// With an ensemble of teachers the two above are against the ensemble, and these against each
/// member ("val/agreement/teacher-gru").
inline std::string agreementWith(const std::string& teacher) {
  return std::string(kValAgreement) + "/" + teacher;
}
inline std::string klFrom(const std::string& teacher) {
  return std::string(kValKlFromTeacher) + "/" + teacher;
}
inline constexpr char kLearningRate[] = "lr";
inline constexpr char kTokensPerSecond[] = "tokens_per_s";
inline constexpr char kTemperature[] = "distill/temperature";
inline constexpr char kAlpha[] = "distill/alpha";

}  // namespace distill::metric
