#pragma once

// Sequence-level KD (Kim & Rush, 2016): the teacher writes a training set once — continuations of
// short corpus prefixes — and the student trains on it. The set is kept on disk so later runs can
// reuse it. File layout (little-endian), see docs/teacher-sequences.md:
//   header, 64 bytes: "DSEQSET1", u32 version, u32 vocab, u32 length, u32 count, u32 prefix,
//                     u32 top_k, f32 temperature, u64 seed, zero padding
//   then count × length i32 token ids, one sequence after another.

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <random>
#include <string>

#include "data/corpus.h"
#include "models/language_model.h"

namespace distill {

/// Everything that decides a sequence set; a saved set is reused only when all of it matches.
struct SequenceSetHeader {
  uint32_t vocabSize = 0;
  uint32_t length = 0;  ///< tokens per sequence, prefix included (block_size + 1)
  uint32_t count = 0;
  uint32_t prefix = 0;
  uint32_t topK = 0;
  float temperature = 1.0f;
  uint64_t seed = 0;

  bool operator==(const SequenceSetHeader& o) const {
    return vocabSize == o.vocabSize && length == o.length && count == o.count && prefix == o.prefix &&
           topK == o.topK && temperature == o.temperature && seed == o.seed;
  }
};

/// Generates header.count sequences in chunks: a random `prefix`-token window of `corpus`, then
/// the teacher's sampled continuation up to `length` tokens. `keepGoing(done)` is called between
/// chunks; when it returns false generation stops and an undefined tensor comes back.
torch::Tensor generateSequenceSet(LanguageModelImpl& teacher, const TokenStream& corpus,
                                  const SequenceSetHeader& header,
                                  const std::function<bool(int64_t done)>& keepGoing = {});

/// Writes (count, length) ids atomically.
void saveSequenceSet(const std::string& path, const SequenceSetHeader& header,
                     const torch::Tensor& sequences);

/// Reads a set; throws EngineError naming the file when it is not one or is truncated.
torch::Tensor loadSequenceSet(const std::string& path, SequenceSetHeader* header);

/// A sequence-level training set in memory: (count, length) ids, and for the teacher's responses to
/// prompts (data.format prompt_response, messages) the same layout of response flags (1 where a
/// token belongs to a response; undefined: every token is a target).
struct SequenceSet {
  torch::Tensor tokens;
  torch::Tensor response;
};

/// Random batches of whole sequences (x: all but the last token, y: all but the first; with
/// response flags, the mask of the targets that are response tokens).
class SequenceSampler {
public:
  SequenceSampler(SequenceSet set, int batchSize, uint64_t seed);
  Batch next();

  /// The position in the random sequence, as text (saved with a resumable checkpoint).
  std::string state() const;
  /// Continues from a state() string; throws EngineError when it is not one.
  void restore(const std::string& state);

private:
  SequenceSet m_set;
  int m_batchSize;
  std::mt19937_64 m_rng;
};

}  // namespace distill
