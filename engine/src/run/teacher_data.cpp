// Data the teacher writes once for the student phase: its top-k logits for every student step
// (the logit cache) and the sequence-level training set. Both are reused from a file given in the
// settings when that file was made for the same settings.

#include "kd/logit_cache.h"
#include "kd/teacher_sequences.h"
#include "run/experiment_run.h"

namespace distill {

namespace {

/// What decides the sequence set of these settings.
SequenceSetHeader sequenceHeaderFor(const DistillConfig& d, const ExperimentConfig& config, int64_t vocab,
                                    int teacherSeed) {
  SequenceSetHeader header;
  header.vocabSize = static_cast<uint32_t>(vocab);
  header.length = static_cast<uint32_t>(config.data.block_size + 1);
  header.count = static_cast<uint32_t>(d.sequence_count);
  header.prefix = static_cast<uint32_t>(d.prefix_tokens);
  header.topK = static_cast<uint32_t>(d.sample_top_k);
  header.temperature = static_cast<float>(d.sample_temperature);
  header.seed = static_cast<uint64_t>(teacherSeed) + 100;
  return header;
}

}  // namespace

std::unique_ptr<LogitCache> ExperimentRun::openOrBuildCache(const DistillConfig& d, int steps,
                                                            uint64_t samplerSeed) {
  LogitCacheHeader header;
  header.vocabSize = static_cast<uint32_t>(m_teacher.model->vocabSize());
  header.topK = static_cast<uint32_t>(std::min<int64_t>(d.cache_top_k, m_teacher.model->vocabSize()));
  header.blockSize = static_cast<uint32_t>(m_config.data.block_size);
  header.batchSize = static_cast<uint32_t>(m_config.train.batch_size);
  header.steps = static_cast<uint32_t>(steps);
  header.temperature = static_cast<float>(d.temperature);
  header.seed = samplerSeed;
  if (!d.cache_path.empty()) {
    auto existing = std::make_unique<LogitCache>(d.cache_path);
    if (existing->header() == header) {
      m_observer.onMessage("teacher logits from the cache " + d.cache_path);
      return existing;
    }
    m_observer.onMessage("the cache " + d.cache_path + " was made for other settings; building a new one");
  }
  const std::string path = m_store->dir() + "/teacher_logits.cache";
  m_observer.onPhase(RunPhase::CachingTeacher, steps);
  const double phaseStart = elapsed();
  BatchSampler sampler(m_corpus.train, m_config.data.block_size, m_config.train.batch_size, samplerSeed,
                       m_corpus.trainResponse);
  LogitCacheWriter writer(path, header);
  torch::NoGradGuard noGrad;
  m_teacher.model->eval();
  const int64_t tokensPerStep = static_cast<int64_t>(m_config.train.batch_size) * m_config.data.block_size;
  for (int step = 1; step <= steps; ++step) {
    if (!waitWhilePaused()) return nullptr;
    auto logits = forwardInChunks(*m_teacher.model, onDevice(sampler.next(), m_device).x, m_threads,
                                  m_config.train.precision);
    requireFiniteTeacherLogits(logits, "cached step " + std::to_string(step));
    writer.append(logits);
    if (step % 50 == 0 || step == steps)
      reportProgress(RunPhase::CachingTeacher, step, steps, 0, phaseStart, tokensPerStep * step, {});
  }
  writer.finish();
  m_observer.onMessage("teacher logit cache written: " + path);
  return std::make_unique<LogitCache>(path);
}

torch::Tensor ExperimentRun::openOrBuildSequences(const DistillConfig& d) {
  const SequenceSetHeader header =
      sequenceHeaderFor(d, m_config, m_teacher.model->vocabSize(), teacherSeed());
  if (!d.sequence_path.empty()) {
    SequenceSetHeader existing;
    auto sequences = loadSequenceSet(d.sequence_path, &existing);
    if (existing == header) {
      m_observer.onMessage("teacher sequences from " + d.sequence_path);
      return sequences;
    }
    m_observer.onMessage("the sequence set " + d.sequence_path +
                         " was made for other settings; generating a new one");
  }
  const int total = d.sequence_count;
  m_observer.onPhase(RunPhase::TeacherSequences, total);
  const double phaseStart = elapsed();
  const int64_t newTokens = static_cast<int64_t>(header.length - header.prefix);
  auto sequences = generateSequenceSet(*m_teacher.model, m_corpus.train, header, [&](int64_t done) {
    reportProgress(RunPhase::TeacherSequences, static_cast<int>(done), total, 0, phaseStart, done * newTokens,
                   {});
    return waitWhilePaused();
  });
  if (!sequences.defined()) return {};
  const std::string path = m_store->dir() + "/teacher_sequences.bin";
  saveSequenceSet(path, header, sequences);
  m_observer.onMessage("teacher sequences written: " + path + " (" + std::to_string(total) + " × " +
                       std::to_string(header.length) + " tokens)");
  return sequences;
}

}  // namespace distill
