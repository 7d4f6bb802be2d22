#include "kd/teacher_sequences.h"

#include <cstring>

#include "distill/errors.h"
#include "models/sampling.h"
#include "util/paths.h"

namespace distill {

namespace {

constexpr char kSequenceSetMagic[8] = {'D', 'S', 'E', 'Q', 'S', 'E', 'T', '1'};
constexpr uint32_t kSequenceSetVersion = 1;
constexpr size_t kSequenceSetHeaderBytes = 64;
constexpr int64_t kChunk = 64;  // sequences decoded together

template <class T>
void put(std::string& out, size_t offset, T value) {
  std::memcpy(&out[offset], &value, sizeof value);
}

template <class T>
T get(const std::string& in, size_t offset) {
  T value;
  std::memcpy(&value, &in[offset], sizeof value);
  return value;
}

}  // namespace

torch::Tensor generateSequenceSet(LanguageModelImpl& teacher, const TokenStream& corpus,
                                  const SequenceSetHeader& header,
                                  const std::function<bool(int64_t)>& keepGoing) {
  BatchSampler prefixes(corpus, static_cast<int>(header.prefix), static_cast<int>(kChunk), header.seed);
  auto generator = makeSamplingGenerator(header.seed + 1);
  std::vector<torch::Tensor> chunks;
  int64_t done = 0;
  while (done < header.count) {
    if (keepGoing && !keepGoing(done)) return {};
    const int64_t rows = std::min<int64_t>(kChunk, header.count - done);
    const auto prefix = prefixes.next().x.slice(0, 0, rows).to(deviceOf(teacher));
    chunks.push_back(sampleSequences(teacher, prefix, header.length, header.temperature,
                                     static_cast<int>(header.topK), generator));
    done += rows;
  }
  if (keepGoing) keepGoing(done);
  return torch::cat(chunks, 0).to(torch::kCPU);  // the set is written and sampled on the host
}

void saveSequenceSet(const std::string& path, const SequenceSetHeader& header,
                     const torch::Tensor& sequences) {
  const auto ids = sequences.to(torch::kInt32).contiguous();
  std::string bytes(kSequenceSetHeaderBytes, '\0');
  std::memcpy(&bytes[0], kSequenceSetMagic, sizeof kSequenceSetMagic);
  put(bytes, 8, kSequenceSetVersion);
  put(bytes, 12, header.vocabSize);
  put(bytes, 16, header.length);
  put(bytes, 20, header.count);
  put(bytes, 24, header.prefix);
  put(bytes, 28, header.topK);
  put(bytes, 32, header.temperature);
  put(bytes, 36, header.seed);
  bytes.append(static_cast<const char*>(ids.data_ptr()), static_cast<size_t>(ids.numel()) * sizeof(int32_t));
  writeFileAtomically(path, bytes);
}

torch::Tensor loadSequenceSet(const std::string& path, SequenceSetHeader* header) {
  const std::string bytes = readFile(path, "teacher sequence set");
  if (bytes.size() < kSequenceSetHeaderBytes ||
      std::memcmp(bytes.data(), kSequenceSetMagic, sizeof kSequenceSetMagic) != 0)
    throw EngineError(path + ": not a teacher sequence set (bad magic)");
  if (get<uint32_t>(bytes, 8) != kSequenceSetVersion)
    throw EngineError(path + ": sequence set version " + std::to_string(get<uint32_t>(bytes, 8)) +
                      " (expected 1)");
  SequenceSetHeader h;
  h.vocabSize = get<uint32_t>(bytes, 12);
  h.length = get<uint32_t>(bytes, 16);
  h.count = get<uint32_t>(bytes, 20);
  h.prefix = get<uint32_t>(bytes, 24);
  h.topK = get<uint32_t>(bytes, 28);
  h.temperature = get<float>(bytes, 32);
  h.seed = get<uint64_t>(bytes, 36);
  const uint64_t expected = kSequenceSetHeaderBytes + uint64_t{h.count} * h.length * sizeof(int32_t);
  if (bytes.size() != expected)
    throw EngineError(path + ": sequence set is " + std::to_string(bytes.size()) +
                      " bytes, its header says " + std::to_string(expected) + " (truncated or corrupt)");
  auto ids = torch::empty({h.count, h.length}, torch::kInt32);
  std::memcpy(ids.data_ptr(), bytes.data() + kSequenceSetHeaderBytes, bytes.size() - kSequenceSetHeaderBytes);
  if (h.count > 0 &&
      (ids.min().item<int32_t>() < 0 || ids.max().item<int32_t>() >= static_cast<int32_t>(h.vocabSize)))
    throw EngineError(path + ": sequence set holds token ids outside its vocabulary of " +
                      std::to_string(h.vocabSize));
  if (header) *header = h;
  return ids.to(torch::kInt64);
}

SequenceSampler::SequenceSampler(SequenceSet set, int batchSize, uint64_t seed)
    : m_set(std::move(set)), m_batchSize(batchSize), m_rng(seed) {}

std::string SequenceSampler::state() const { return engineState(m_rng); }

void SequenceSampler::restore(const std::string& state) {
  restoreEngineState(m_rng, state, "sequence sampler");
}

Batch SequenceSampler::next() {
  std::uniform_int_distribution<int64_t> pick(0, m_set.tokens.size(0) - 1);
  std::vector<int64_t> rows(static_cast<size_t>(m_batchSize));
  for (auto& r : rows) r = pick(m_rng);
  const auto index = torch::tensor(rows, torch::kInt64);
  const auto batch = m_set.tokens.index_select(0, index);  // (B, L)
  const int64_t L = batch.size(1);
  torch::Tensor mask;  // a target counts when the token it predicts belongs to a response
  if (m_set.response.defined()) mask = m_set.response.index_select(0, index).slice(1, 1, L).to(torch::kBool);
  return {batch.slice(1, 0, L - 1).contiguous(), batch.slice(1, 1, L).contiguous(), mask};
}

}  // namespace distill
