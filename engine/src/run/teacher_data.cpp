// Data the teacher writes once for the student phase: its top-k logits for every student step
// (the logit cache) and the sequence-level training set (continuations of running text, or its
// answers to the training prompts). Each is reused from a file given in the settings when that file
// was made for the same settings.

#include "kd/logit_cache.h"
#include "kd/teacher_responses.h"
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

/// What decides the teacher's answers to the training prompts of these settings.
TeacherResponsesHeader responsesHeaderFor(const DistillConfig& d, const ExperimentConfig& config,
                                          const Corpus& corpus, LanguageModelImpl& teacher, int teacherSeed) {
  TeacherResponsesHeader header;
  header.corpusDigest = corpus.sha256;
  header.teacherDigest = weightsDigest(teacher);
  header.vocabSize = corpus.tokenizer.vocabSize();
  header.rowLength = config.data.block_size + 1;
  header.count = std::min<int64_t>(d.sequence_count, static_cast<int64_t>(corpus.trainExamples.size()));
  header.topK = d.sample_top_k;
  header.temperature = d.sample_temperature;
  header.seed = static_cast<uint64_t>(teacherSeed) + 100;
  return header;
}

/// `responses` packed as examples are (one row of block_size + 1 per row, response flags beside).
SequenceSet packedSet(const std::vector<Example>& responses, const Corpus& corpus, const DataConfig& data,
                      int64_t* skipped) {
  BadRecordPolicy skip(BadRecords::Skip);  // a prompt too long for a row was already counted on reading
  const auto rows = packExamples(responses, corpus.tokenizer, data, data.block_size + 1, skip);
  *skipped = skip.skipped();
  auto asTensor = [&](const std::vector<int64_t>& values) {
    return torch::tensor(values, torch::kInt64).view({rows.rows, rows.rowLength});
  };
  return {asTensor(rows.tokens), asTensor(rows.response)};
}

}  // namespace

std::unique_ptr<LogitCache> ExperimentRun::openOrBuildCache(const DistillConfig& d, int steps,
                                                            uint64_t samplerSeed) {
  LogitCacheHeader header;
  header.vocabSize = static_cast<uint32_t>(m_teachers.front().model->vocabSize());
  header.topK =
      static_cast<uint32_t>(std::min<int64_t>(d.cache_top_k, m_teachers.front().model->vocabSize()));
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
  m_teachers.front().model->eval();
  const int64_t tokensPerStep = static_cast<int64_t>(m_config.train.batch_size) * m_config.data.block_size;
  for (int step = 1; step <= steps; ++step) {
    if (!waitWhilePaused()) return nullptr;
    auto logits = forwardInChunks(*m_teachers.front().model, onDevice(sampler.next(), m_device).x, m_threads,
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

SequenceSet ExperimentRun::openOrBuildSequences(const DistillConfig& d) {
  if (m_config.data.examples()) return openOrBuildResponses(d);
  const SequenceSetHeader header =
      sequenceHeaderFor(d, m_config, m_teachers.front().model->vocabSize(), teacherSeed());
  if (!d.sequence_path.empty()) {
    SequenceSetHeader existing;
    auto sequences = loadSequenceSet(d.sequence_path, &existing);
    if (existing == header) {
      m_observer.onMessage("teacher sequences from " + d.sequence_path);
      return {sequences, {}};
    }
    m_observer.onMessage("the sequence set " + d.sequence_path +
                         " was made for other settings; generating a new one");
  }
  const int total = d.sequence_count;
  m_observer.onPhase(RunPhase::TeacherSequences, total);
  const double phaseStart = elapsed();
  const int64_t newTokens = static_cast<int64_t>(header.length - header.prefix);
  auto sequences = generateSequenceSet(*m_teachers.front().model, m_corpus.train, header, [&](int64_t done) {
    reportProgress(RunPhase::TeacherSequences, static_cast<int>(done), total, 0, phaseStart, done * newTokens,
                   {});
    return waitWhilePaused();
  });
  if (!sequences.defined()) return {};
  const std::string path = m_store->dir() + "/teacher_sequences.bin";
  saveSequenceSet(path, header, sequences);
  m_observer.onMessage("teacher sequences written: " + path + " (" + std::to_string(total) + " × " +
                       std::to_string(header.length) + " tokens)");
  return {sequences, {}};
}

SequenceSet ExperimentRun::openOrBuildResponses(const DistillConfig& d) {
  const auto header = responsesHeaderFor(d, m_config, m_corpus, *m_teachers.front().model, teacherSeed());
  std::vector<Example> responses;
  if (!d.sequence_path.empty()) {
    TeacherResponsesHeader existing;
    auto loaded = loadTeacherResponses(d.sequence_path, &existing);
    if (existing == header) {
      m_observer.onMessage("teacher responses from " + d.sequence_path);
      responses = std::move(loaded);
    } else {
      m_observer.onMessage("the teacher responses " + d.sequence_path +
                           " were made for other settings; generating new ones");
    }
  }
  if (responses.empty()) {
    const int total = static_cast<int>(header.count);
    m_observer.onPhase(RunPhase::TeacherSequences, total);
    const double phaseStart = elapsed();
    int64_t unfinished = 0;
    responses = generateTeacherResponses(*m_teachers.front().model, m_corpus.tokenizer,
                                         m_corpus.trainExamples, m_config.data.response_end, header,
                                         &unfinished, [&](int64_t done, int64_t tokens) {
                                           reportProgress(RunPhase::TeacherSequences, static_cast<int>(done),
                                                          total, 0, phaseStart, tokens, {});
                                           return waitWhilePaused();
                                         });
    if (responses.empty()) return {};
    const std::string path = m_store->dir() + "/teacher_responses.jsonl";
    saveTeacherResponses(path, header, responses);
    m_observer.onMessage("teacher responses written: " + path + " (" + std::to_string(responses.size()) +
                         " answers to training prompts, " + std::to_string(unfinished) +
                         " without data.response_end within twice the reference's length)");
  }
  int64_t skipped = 0;
  auto set = packedSet(responses, m_corpus, m_config.data, &skipped);
  if (skipped > 0)
    m_observer.onMessage(std::to_string(skipped) + " teacher responses left out: their prompts fill a row");
  return set;
}

}  // namespace distill
