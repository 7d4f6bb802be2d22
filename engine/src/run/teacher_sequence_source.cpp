// Sequence-level KD (Kim & Rush): batches of the sequences the teacher wrote once. The hard term is
// cross-entropy on the teacher's tokens; with alpha > 0 (or feature losses) the teacher's
// distribution on them is added, one pass per step for every student that reads this source.

#include "kd/teacher_sequences.h"
#include "run/target_source.h"

namespace distill {

namespace {

class TeacherSequenceSource : public TargetSource {
public:
  TeacherSequenceSource(const TeacherOracle& teacher, std::unique_ptr<SequenceSampler> sampler,
                        bool withTrace)
      : m_teacher(teacher), m_sampler(std::move(sampler)), m_withTrace(withTrace) {}

  void beginStep(int, const Batch&) override {
    m_batch = onDevice(m_sampler->next(), m_teacher.device());
    m_targets = {};
  }

  StudentInput inputFor(TrainedModel&, const DistillConfig& now, int step) override {
    if (needsTeacherTargets(now) && !m_targets.teacherLogits.defined())
      m_targets = m_teacher.on(m_batch.x, m_withTrace ? &m_trace : nullptr, step);
    return {m_batch, &m_targets};  // without teacher logits: cross-entropy on the teacher's tokens
  }

  std::string samplerState() const override { return m_sampler->state(); }
  void restoreSampler(const std::string& state) override { m_sampler->restore(state); }

private:
  const TeacherOracle& m_teacher;
  std::unique_ptr<SequenceSampler> m_sampler;
  bool m_withTrace;
  Batch m_batch;
  SoftTargets m_targets;
  ForwardTrace m_trace;
};

}  // namespace

std::unique_ptr<TargetSource> makeTeacherSequenceSource(const TeacherOracle& teacher,
                                                        std::unique_ptr<SequenceSampler> sampler,
                                                        bool withTrace) {
  return std::make_unique<TeacherSequenceSource>(teacher, std::move(sampler), withTrace);
}

}  // namespace distill
