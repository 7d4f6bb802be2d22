#include "models/sampling.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace distill {

int64_t pickToken(const float* logits, int64_t vocabSize, const SamplingOptions& options,
                  std::mt19937_64& rng) {
  if (options.greedy || options.temperature <= 0.0)
    return std::max_element(logits, logits + vocabSize) - logits;

  std::vector<int64_t> order(static_cast<size_t>(vocabSize));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return logits[a] > logits[b]; });
  size_t keep = order.size();
  if (options.topK > 0) keep = std::min(keep, static_cast<size_t>(options.topK));

  // Softmax over the kept candidates, highest first (numerically stable: subtract the max).
  std::vector<double> probs(keep);
  const double top = logits[order[0]];
  double total = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    probs[i] = std::exp((logits[order[i]] - top) / options.temperature);
    total += probs[i];
  }
  if (options.topP < 1.0) {
    double mass = 0.0;
    size_t cut = keep;
    for (size_t i = 0; i < keep; ++i) {
      mass += probs[i] / total;
      if (mass >= options.topP) {
        cut = i + 1;
        break;
      }
    }
    keep = cut;
    probs.resize(keep);
    total = std::accumulate(probs.begin(), probs.end(), 0.0);
  }
  std::uniform_real_distribution<double> uniform(0.0, total);
  double r = uniform(rng);
  for (size_t i = 0; i < keep; ++i) {
    r -= probs[i];
    if (r <= 0.0) return order[i];
  }
  return order[keep - 1];
}

namespace {

int64_t pickFromLast(const torch::Tensor& logits, const SamplingOptions& options, std::mt19937_64& rng) {
  auto last = logits.index({0, -1}).to(torch::kCPU, torch::kFloat32).contiguous();  // (V,)
  return pickToken(last.data_ptr<float>(), last.size(0), options, rng);
}

torch::Tensor asBatch(const std::vector<int64_t>& ids, const torch::Device& device) {
  return torch::tensor(ids, torch::kInt64).unsqueeze(0).to(device);  // (1, T)
}

}  // namespace

IncrementalDecoder::IncrementalDecoder(LanguageModelImpl& model, const std::vector<int64_t>& prompt)
    : m_model(model),
      m_device(deviceOf(model)),
      m_sequence(prompt.empty() ? std::vector<int64_t>{0} : prompt) {
  const int64_t limit = m_model.contextLimit();
  m_lastLogits = prime(limit > 0 ? static_cast<size_t>(limit) : m_sequence.size());
}

torch::Tensor IncrementalDecoder::prime(size_t keepLast) {
  m_state = m_model.startDecoding();
  const size_t from = m_sequence.size() - std::min(m_sequence.size(), keepLast);
  auto logits = m_model.decode(
      asBatch({m_sequence.begin() + static_cast<long>(from), m_sequence.end()}, m_device), *m_state);
  return logits.index({0, -1}).to(torch::kCPU, torch::kFloat32).contiguous();
}

void IncrementalDecoder::feed(int64_t token) {
  m_sequence.push_back(token);
  const int64_t limit = m_model.contextLimit();
  if (limit > 0 && m_state->position >= limit) {
    m_lastLogits = prime(static_cast<size_t>(std::max<int64_t>(1, limit / 2)));
  } else {
    m_lastLogits = m_model.decode(asBatch({token}, m_device), *m_state)
                       .index({0, -1})
                       .to(torch::kCPU, torch::kFloat32)
                       .contiguous();
  }
}

std::vector<int64_t> generateIds(LanguageModelImpl& model, const std::vector<int64_t>& prompt,
                                 const SamplingOptions& options, const std::function<bool()>& keepGoing) {
  torch::NoGradGuard noGrad;
  const bool wasTraining = model.is_training();
  model.eval();
  std::mt19937_64 rng(options.seed);
  std::vector<int64_t> generated;
  IncrementalDecoder decoder(model, prompt);
  for (int i = 0; i < options.maxNewTokens; ++i) {
    if (keepGoing && !keepGoing()) break;
    const auto& logits = decoder.nextLogits();
    const int64_t next = pickToken(logits.data_ptr<float>(), logits.size(0), options, rng);
    generated.push_back(next);
    if (i + 1 < options.maxNewTokens) decoder.feed(next);
  }
  model.train(wasTraining);
  return generated;
}

std::vector<int64_t> generateIdsByRecompute(LanguageModelImpl& model, const std::vector<int64_t>& prompt,
                                            const SamplingOptions& options) {
  torch::NoGradGuard noGrad;
  const bool wasTraining = model.is_training();
  model.eval();
  std::mt19937_64 rng(options.seed);
  std::vector<int64_t> sequence = prompt.empty() ? std::vector<int64_t>{0} : prompt;
  std::vector<int64_t> generated;
  const auto limit = static_cast<size_t>(model.contextLimit());
  const auto device = deviceOf(model);
  for (int i = 0; i < options.maxNewTokens; ++i) {
    const size_t from = limit > 0 && sequence.size() > limit ? sequence.size() - limit : 0;
    auto logits =
        model.forward(asBatch({sequence.begin() + static_cast<long>(from), sequence.end()}, device));
    const int64_t next = pickFromLast(logits, options, rng);
    generated.push_back(next);
    sequence.push_back(next);
  }
  model.train(wasTraining);
  return generated;
}

at::Generator makeSamplingGenerator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

torch::Tensor sampleSequences(LanguageModelImpl& model, const torch::Tensor& prefix, int64_t length,
                              double temperature, int topK, at::Generator& generator) {
  TORCH_CHECK(prefix.dim() == 2 && prefix.size(1) >= 1 && prefix.size(1) <= length,
              "sampleSequences needs a (B, P) prefix with 1 <= P <= length");
  const int64_t limit = model.contextLimit();
  TORCH_CHECK(limit == 0 || length <= limit + 1, "cannot sample ", length, " tokens with a context of ",
              limit);
  torch::NoGradGuard noGrad;
  const bool wasTraining = model.is_training();
  model.eval();
  std::vector<torch::Tensor> pieces = {prefix};
  auto state = model.startDecoding();
  auto logits = model.decode(prefix, *state).select(1, -1);  // (B, V)
  for (int64_t have = prefix.size(1); have < length; ++have) {
    torch::Tensor next;
    if (temperature <= 0.0) {
      next = logits.argmax(-1, /*keepdim=*/true);
    } else {
      auto scaled = logits.to(torch::kFloat32) / temperature;
      if (topK > 0 && topK < scaled.size(-1)) {
        const auto kth = std::get<0>(scaled.topk(topK, -1)).select(-1, topK - 1).unsqueeze(-1);
        scaled = scaled.masked_fill(scaled < kth, -std::numeric_limits<float>::infinity());
      }
      // Drawn on the CPU with our generator, so a run is reproducible on any device.
      const auto probs = torch::softmax(scaled, -1).to(torch::kCPU);
      next = torch::multinomial(probs, 1, /*replacement=*/false, generator).to(prefix.device());
    }
    pieces.push_back(next);
    if (have + 1 < length) logits = model.decode(next, *state).select(1, -1);
  }
  model.train(wasTraining);
  return torch::cat(pieces, 1);
}

}  // namespace distill
