// On-policy KD (GKD, Agarwal et al.): on a fraction of the steps the student continues corpus
// prefixes itself — or, on prompt/response data, answers training prompts — and the teacher scores
// every position after them (soft term only: the tokens are the student's own). The other steps
// read the word-level source. One source per student: the samples are its own.

#include <cmath>

#include "kd/response_rollouts.h"
#include "models/sampling.h"
#include "run/target_source.h"

namespace distill {

namespace {

/// On-policy steps are spread evenly: step s is one when ⌊s·λ⌋ moves past ⌊(s−1)·λ⌋.
bool isOnPolicyStep(int step, double fraction) {
  return std::floor(step * fraction) > std::floor((step - 1) * fraction);
}

class OnPolicySource : public TargetSource {
public:
  OnPolicySource(const TeacherOracle& teacher, TargetSource& offPolicy, int blockSize,
                 const PromptPool* prompts)
      : m_teacher(teacher), m_offPolicy(offPolicy), m_blockSize(blockSize), m_prompts(prompts) {}

  void beginStep(int, const Batch& corpusBatch) override {
    m_corpusBatch = corpusBatch.x;
    m_targets = {};
  }

  StudentInput inputFor(TrainedModel& student, const DistillConfig& now, int step) override {
    if (!isOnPolicyStep(step, now.on_policy_fraction)) return m_offPolicy.inputFor(student, now, step);
    if (m_prompts) return answersToPrompts(student, now, step);
    const int64_t P = now.prefix_tokens;
    const auto samples = sampleSequences(*student.model, m_corpusBatch.slice(1, 0, P), m_blockSize,
                                         now.sample_temperature, now.sample_top_k, student.onPolicyGenerator);
    m_targets = m_teacher.on(samples, now.usesFeatures() ? &m_trace : nullptr, step);
    m_targets.positionMask =
        (torch::arange(samples.size(1), samples.options()) >= P - 1).unsqueeze(0).expand_as(samples);
    m_targets.hardLabels = false;
    return {{samples, samples, {}}, &m_targets};  // no labels: the soft term alone trains on these
  }

private:
  /// The student's answers to as many random training prompts as the batch has rows; the batch's
  /// mask is the answers' positions, so feature losses count them alone too.
  StudentInput answersToPrompts(TrainedModel& student, const DistillConfig& now, int step) {
    const auto drawn = torch::randint(static_cast<int64_t>(m_prompts->prompts.size()),
                                      {m_corpusBatch.size(0)}, student.onPolicyGenerator, torch::kInt64);
    const std::vector<int64_t> picked(drawn.data_ptr<int64_t>(), drawn.data_ptr<int64_t>() + drawn.numel());
    const auto rows = sampleResponses(*student.model, *m_prompts, picked, m_blockSize, now.sample_temperature,
                                      now.sample_top_k, student.onPolicyGenerator);
    m_targets = m_teacher.on(rows.tokens, now.usesFeatures() ? &m_trace : nullptr, step);
    m_targets.positionMask = rows.positionMask;
    m_targets.hardLabels = false;
    return {{rows.tokens, rows.tokens, rows.positionMask}, &m_targets};
  }

  const TeacherOracle& m_teacher;
  TargetSource& m_offPolicy;
  int m_blockSize;
  const PromptPool* m_prompts;  // null: running text, the corpus batch's prefixes are the prompts
  torch::Tensor m_corpusBatch;
  SoftTargets m_targets;
  ForwardTrace m_trace;
};

}  // namespace

std::unique_ptr<TargetSource> makeOnPolicySource(const TeacherOracle& teacher, TargetSource& offPolicy,
                                                 int blockSize, const PromptPool* prompts) {
  return std::make_unique<OnPolicySource>(teacher, offPolicy, blockSize, prompts);
}

}  // namespace distill
