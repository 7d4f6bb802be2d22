// Students with their own tokenizer (students[i].tokenizer) train on their own windows of the
// text. Two sources serve them, one of each per tokenizer (one teacher pass serves its students):
//   ULD across tokenizers: the teacher reads the same text in its tokens (the first T), and the
//     soft term compares positions aligned by their order (Boizard et al., 2024);
//   text-level sequence KD: the teacher's sequences decoded and re-tokenized by the student's
//     tokenizer; cross-entropy on them alone (the teacher's distributions are over other ids).

#include "kd/cross_tokenizer.h"
#include "run/corpus_view.h"
#include "run/target_source.h"

namespace distill {

namespace {

class CrossTokenizerSource : public TargetSource {
public:
  CrossTokenizerSource(const TeacherOracle& teacher, const CorpusView& view,
                       const Tokenizer& teacherTokenizer)
      : m_teacher(teacher), m_view(view), m_teacherTokenizer(teacherTokenizer) {}

  void beginStep(int, const Batch&) override { m_targets = {}; }

  StudentInput inputFor(TrainedModel&, const DistillConfig&, int step) override {
    if (!m_targets.teacherLogits.defined()) {
      const auto rows = retokenizeRows(m_view.current.x, m_view.corpus.tokenizer, m_teacherTokenizer);
      m_targets = m_teacher.on(rows.ids, nullptr, step);
      m_targets.positionMask = rows.mask;  // no soft term past the teacher's tokens of this text
    }
    return {m_view.current, &m_targets};
  }

private:
  const TeacherOracle& m_teacher;
  const CorpusView& m_view;
  const Tokenizer& m_teacherTokenizer;
  SoftTargets m_targets;
};

class TextLevelSequenceSource : public TargetSource {
public:
  TextLevelSequenceSource(std::unique_ptr<SequenceSampler> sampler, torch::Device device)
      : m_sampler(std::move(sampler)), m_device(device) {}

  void beginStep(int, const Batch&) override { m_batch = onDevice(m_sampler->next(), m_device); }

  /// No teacher targets, whatever alpha says (even after a live change): hard labels only.
  StudentInput inputFor(TrainedModel&, const DistillConfig&, int) override {
    return {m_batch, &m_labelsOnly};
  }

  std::string samplerState() const override { return m_sampler->state(); }
  void restoreSampler(const std::string& state) override { m_sampler->restore(state); }

private:
  std::unique_ptr<SequenceSampler> m_sampler;
  torch::Device m_device;
  Batch m_batch;
  SoftTargets m_labelsOnly;
};

}  // namespace

std::unique_ptr<TargetSource> makeCrossTokenizerSource(const TeacherOracle& teacher, const CorpusView& view,
                                                       const Tokenizer& teacherTokenizer) {
  return std::make_unique<CrossTokenizerSource>(teacher, view, teacherTokenizer);
}

std::unique_ptr<TargetSource> makeTextLevelSequenceSource(std::unique_ptr<SequenceSampler> sampler,
                                                          torch::Device device) {
  return std::make_unique<TextLevelSequenceSource>(std::move(sampler), device);
}

}  // namespace distill
