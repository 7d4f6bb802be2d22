#pragma once

#include <functional>
#include <random>
#include <vector>

#include "distill/sampling_options.h"
#include "models/language_model.h"

namespace distill {

/// Picks one token id from (V,) float logits with temperature, top-k and top-p.
int64_t pickToken(const float* logits, int64_t vocabSize, const SamplingOptions& options,
                  std::mt19937_64& rng);

/// Feeds a model one token at a time with its KV cache or recurrent state. When a transformer's
/// cache reaches the block size it is re-primed with the last half block, so decoding never stops.
class IncrementalDecoder {
public:
  /// Primes with `prompt` (empty starts from id 0). Call under NoGradGuard, model in eval mode.
  IncrementalDecoder(LanguageModelImpl& model, const std::vector<int64_t>& prompt);
  /// (V,) float32 logits for the token after everything fed so far.
  const torch::Tensor& nextLogits() const { return m_lastLogits; }
  void feed(int64_t token);

private:
  torch::Tensor prime(size_t keepLast);

  LanguageModelImpl& m_model;
  torch::Device m_device;  ///< the model's, looked up once: not once per token
  std::vector<int64_t> m_sequence;
  std::unique_ptr<DecodeState> m_state;
  torch::Tensor m_lastLogits;
};

/// Continues `prompt` (token ids; empty starts from id 0) with incremental decoding: a KV cache
/// for transformers (re-primed with the last half block when the cache fills up), carried state
/// for recurrent nets. Returns only the new ids. `keepGoing` can stop early.
std::vector<int64_t> generateIds(LanguageModelImpl& model, const std::vector<int64_t>& prompt,
                                 const SamplingOptions& options, const std::function<bool()>& keepGoing = {});

/// The same continuation computed the slow way: a full forward pass over the whole (cropped)
/// sequence for every new token. Used to check generateIds and as the speed baseline.
std::vector<int64_t> generateIdsByRecompute(LanguageModelImpl& model, const std::vector<int64_t>& prompt,
                                            const SamplingOptions& options);

/// Extends every row of `prefix` (B, P) int64 to `length` tokens by sampling from `model` with
/// its KV cache / recurrent state, all rows at once: softmax(logits / temperature) over the
/// `topK` best (0: all), or argmax when temperature is 0. `length` may exceed the model's context
/// by one (the last token needs no decoding step). Returns (B, length); no gradient; the model's
/// train/eval mode is restored.
torch::Tensor sampleSequences(LanguageModelImpl& model, const torch::Tensor& prefix, int64_t length,
                              double temperature, int topK, at::Generator& generator);

/// A CPU random generator for sampleSequences.
at::Generator makeSamplingGenerator(uint64_t seed);

}  // namespace distill
