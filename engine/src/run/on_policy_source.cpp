// On-policy KD (GKD, Agarwal et al.): on a fraction of the steps the student continues corpus
// prefixes itself and the teacher scores every position after them (soft term only: the tokens
// are the student's own). The other steps read the word-level source. One source per student:
// the samples are its own.

#include <cmath>

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
  OnPolicySource(const TeacherOracle& teacher, TargetSource& offPolicy, int blockSize)
      : m_teacher(teacher), m_offPolicy(offPolicy), m_blockSize(blockSize) {}

  void beginStep(int, const Batch& corpusBatch) override {
    m_prompts = corpusBatch.x;
    m_targets = {};
  }

  StudentInput inputFor(TrainedModel& student, const DistillConfig& now, int step) override {
    if (!isOnPolicyStep(step, now.on_policy_fraction)) return m_offPolicy.inputFor(student, now, step);
    const int64_t P = now.prefix_tokens;
    const auto samples = sampleSequences(*student.model, m_prompts.slice(1, 0, P), m_blockSize,
                                         now.sample_temperature, now.sample_top_k, student.onPolicyGenerator);
    m_targets = m_teacher.on(samples, now.usesFeatures() ? &m_trace : nullptr, step);
    m_targets.positionMask =
        (torch::arange(samples.size(1), samples.options()) >= P - 1).unsqueeze(0).expand_as(samples);
    m_targets.hardLabels = false;
    return {{samples, samples, {}}, &m_targets};  // no labels: the soft term alone trains on these
  }

private:
  const TeacherOracle& m_teacher;
  TargetSource& m_offPolicy;
  int m_blockSize;
  torch::Tensor m_prompts;
  SoftTargets m_targets;
  ForwardTrace m_trace;
};

}  // namespace

std::unique_ptr<TargetSource> makeOnPolicySource(const TeacherOracle& teacher, TargetSource& offPolicy,
                                                 int blockSize) {
  return std::make_unique<OnPolicySource>(teacher, offPolicy, blockSize);
}

}  // namespace distill
