// Word-level KD (Hinton et al.): the corpus batch, with the teacher's distribution on it. One
// teacher pass per step serves every student that reads this source.

#include "run/target_source.h"

namespace distill {

namespace {

class OnlineTeacherSource : public TargetSource {
public:
  OnlineTeacherSource(const TeacherOracle& teacher, bool withTrace)
      : m_teacher(teacher), m_withTrace(withTrace) {}

  void beginStep(int, const Batch& corpusBatch) override {
    m_batch = corpusBatch;
    m_targets = {};
  }

  StudentInput inputFor(TrainedModel&, const DistillConfig&, int step) override {
    if (!m_targets.teacherLogits.defined())
      m_targets = m_teacher.on(m_batch.x, m_withTrace ? &m_trace : nullptr, step);
    return {m_batch, &m_targets};
  }

private:
  const TeacherOracle& m_teacher;
  bool m_withTrace;  // some student reading this source has feature losses
  Batch m_batch;
  SoftTargets m_targets;
  ForwardTrace m_trace;
};

}  // namespace

std::unique_ptr<TargetSource> makeOnlineTeacherSource(const TeacherOracle& teacher, bool withTrace) {
  return std::make_unique<OnlineTeacherSource>(teacher, withTrace);
}

}  // namespace distill
