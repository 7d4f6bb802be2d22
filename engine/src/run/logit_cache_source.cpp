// Word-level KD from the logit cache: the corpus batch (drawn in the order the cache was written)
// with the teacher's top-k log-probabilities read back instead of a teacher forward pass.

#include "kd/logit_cache.h"
#include "run/target_source.h"

namespace distill {

namespace {

class LogitCacheSource : public TargetSource {
public:
  explicit LogitCacheSource(std::unique_ptr<LogitCache> cache) : m_cache(std::move(cache)) {}

  void beginStep(int step, const Batch& corpusBatch) override {
    m_batch = corpusBatch;
    m_targets = {};
    m_cache->read(static_cast<uint32_t>(step - 1), &m_targets.cachedIds, &m_targets.cachedLogProbs);
    m_targets.cachedIds = m_targets.cachedIds.to(m_batch.x.device());
    m_targets.cachedLogProbs = m_targets.cachedLogProbs.to(m_batch.x.device());
  }

  StudentInput inputFor(TrainedModel&, const DistillConfig&, int) override { return {m_batch, &m_targets}; }

private:
  std::unique_ptr<LogitCache> m_cache;
  Batch m_batch;
  SoftTargets m_targets;
};

}  // namespace

std::unique_ptr<TargetSource> makeLogitCacheSource(std::unique_ptr<LogitCache> cache) {
  return std::make_unique<LogitCacheSource>(std::move(cache));
}

}  // namespace distill
