// The names of the experiment's enumerations: the one place each spelling is written.

#include "distill/config.h"
#include "distill/sweep.h"
#include "util/name_table.h"

namespace distill {

namespace {

constexpr std::pair<Arch, const char*> kArch[] = {
    {Arch::Transformer, "transformer"}, {Arch::Llama, "llama"}, {Arch::Lstm, "lstm"}, {Arch::Gru, "gru"}};
constexpr std::pair<Activation, const char*> kActivation[] = {
    {Activation::Gelu, "gelu"}, {Activation::GeluTanh, "gelu_tanh"}, {Activation::Silu, "silu"}};
constexpr std::pair<DistillLoss, const char*> kLoss[] = {{DistillLoss::Kl, "kl"},
                                                         {DistillLoss::ReverseKl, "reverse_kl"},
                                                         {DistillLoss::Jsd, "jsd"},
                                                         {DistillLoss::SkewKl, "skew_kl"},
                                                         {DistillLoss::SkewReverseKl, "skew_reverse_kl"},
                                                         {DistillLoss::Tvd, "tvd"},
                                                         {DistillLoss::Mse, "mse"},
                                                         {DistillLoss::Uld, "uld"}};
constexpr std::pair<Schedule, const char*> kSchedule[] = {
    {Schedule::Constant, "constant"}, {Schedule::Linear, "linear"}, {Schedule::Cosine, "cosine"}};
constexpr std::pair<Regime, const char*> kRegime[] = {
    {Regime::Word, "word"}, {Regime::Sequence, "sequence"}, {Regime::OnPolicy, "on_policy"}};
constexpr std::pair<Ensemble, const char*> kEnsemble[] = {{Ensemble::MeanProb, "mean_prob"},
                                                          {Ensemble::MeanLogit, "mean_logit"},
                                                          {Ensemble::PerTeacher, "per_teacher"}};
constexpr std::pair<HiddenLoss, const char*> kHiddenLoss[] = {
    {HiddenLoss::None, "none"}, {HiddenLoss::Mse, "mse"}, {HiddenLoss::Cosine, "cosine"}};
constexpr std::pair<ValSplit, const char*> kValSplit[] = {{ValSplit::Tail, "tail"},
                                                          {ValSplit::Documents, "documents"}};
constexpr std::pair<DataFormat, const char*> kDataFormat[] = {{DataFormat::Text, "text"},
                                                              {DataFormat::PromptResponse, "prompt_response"},
                                                              {DataFormat::Messages, "messages"}};
constexpr std::pair<BadRecords, const char*> kBadRecords[] = {{BadRecords::Stop, "stop"},
                                                              {BadRecords::Skip, "skip"}};
constexpr std::pair<Precision, const char*> kPrecision[] = {
    {Precision::Fp32, "fp32"}, {Precision::Bf16, "bf16"}, {Precision::Fp16, "fp16"}};

constexpr std::pair<SweepStrategy, const char*> kStrategy[] = {
    {SweepStrategy::Grid, "grid"}, {SweepStrategy::Random, "random"}, {SweepStrategy::Tpe, "tpe"}};
constexpr std::pair<RangeKind, const char*> kRange[] = {{RangeKind::Values, "values"},
                                                        {RangeKind::Uniform, "uniform"},
                                                        {RangeKind::LogUniform, "log_uniform"},
                                                        {RangeKind::Int, "int"}};
constexpr std::pair<SweepTrial::Status, const char*> kTrialStatus[] = {
    {SweepTrial::Status::Pending, "pending"},
    {SweepTrial::Status::Running, "running"},
    {SweepTrial::Status::Completed, "completed"},
    {SweepTrial::Status::Stopped, "stopped"},
    {SweepTrial::Status::Failed, "failed"}};
constexpr std::pair<EarlyStopping, const char*> kEarlyStopping[] = {{EarlyStopping::None, "none"},
                                                                    {EarlyStopping::Median, "median"}};

template <class E, size_t N>
std::vector<std::string> namesIn(const std::pair<E, const char*> (&table)[N]) {
  std::vector<std::string> names;
  for (const auto& entry : table) names.push_back(entry.second);
  return names;
}

}  // namespace

#define DISTILL_ENUM_NAMES(E, table)                          \
  template <>                                                 \
  const char* nameOf<E>(E value) {                            \
    return nameIn(table, value);                              \
  }                                                           \
  template <>                                                 \
  std::optional<E> enumFromName<E>(const std::string& name) { \
    return valueIn(table, name);                              \
  }                                                           \
  template <>                                                 \
  std::vector<std::string> enumNames<E>() {                   \
    return namesIn(table);                                    \
  }

DISTILL_ENUM_NAMES(Arch, kArch)
DISTILL_ENUM_NAMES(Activation, kActivation)
DISTILL_ENUM_NAMES(DistillLoss, kLoss)
DISTILL_ENUM_NAMES(Schedule, kSchedule)
DISTILL_ENUM_NAMES(Regime, kRegime)
DISTILL_ENUM_NAMES(Ensemble, kEnsemble)
DISTILL_ENUM_NAMES(HiddenLoss, kHiddenLoss)
DISTILL_ENUM_NAMES(ValSplit, kValSplit)
DISTILL_ENUM_NAMES(Precision, kPrecision)
DISTILL_ENUM_NAMES(DataFormat, kDataFormat)
DISTILL_ENUM_NAMES(BadRecords, kBadRecords)
DISTILL_ENUM_NAMES(SweepStrategy, kStrategy)
DISTILL_ENUM_NAMES(RangeKind, kRange)
DISTILL_ENUM_NAMES(EarlyStopping, kEarlyStopping)
DISTILL_ENUM_NAMES(SweepTrial::Status, kTrialStatus)

#undef DISTILL_ENUM_NAMES

}  // namespace distill
