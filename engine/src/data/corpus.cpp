#include "data/corpus.h"

#include <cmath>
#include <sstream>

#include "distill/errors.h"
#include "util/paths.h"
#include "util/utf8.h"

namespace distill {

DataConfig withTokenizerResolved(DataConfig data, const TeacherConfig& teacher) {
  if (data.tokenizer == "teacher") {
    if (teacher.hf.empty()) throw EngineError("data.tokenizer is 'teacher' but teacher.hf is not set");
    if (!Tokenizer::folderHasTokenizer(teacher.hf))
      throw EngineError("data.tokenizer is 'teacher' but " + teacher.hf +
                        " has no tokenizer files (vocab.json + merges.txt, tokenizer.json, tokenizer.model): "
                        "set data.tokenizer to the tokenizer's path");
    data.tokenizer = teacher.hf;
  }
  return data;
}

Corpus loadCorpus(const DataConfig& data, const Tokenizer* tokenizer) {
  Corpus corpus;
  corpus.path = data.corpus.empty() ? bundledCorpusPath() : data.corpus;
  const std::string text = readFile(corpus.path, "corpus");
  corpus.bytes = static_cast<int64_t>(text.size());
  if (text.empty()) throw EngineError("corpus is empty: " + corpus.path);
  if (text.find('\0') != std::string::npos)
    throw EngineError("corpus looks binary (it contains NUL bytes at offset " +
                      std::to_string(text.find('\0')) + "): " + corpus.path);
  std::vector<char32_t> cps;
  size_t bad = 0;
  if (!decodeUtf8(text, cps, bad))
    throw EngineError("corpus is not valid UTF-8 text (first bad byte at offset " + std::to_string(bad) +
                      "): " + corpus.path);

  if (tokenizer) {
    corpus.tokenizer = *tokenizer;
  } else if (data.tokenizer == "char") {
    corpus.tokenizer = CharTokenizer::fromText(text);
  } else {
    corpus.tokenizer = Tokenizer::load(data.tokenizer);
  }
  cps = {};
  std::vector<int64_t> ids;
  try {
    ids = corpus.tokenizer.encode(text);
  } catch (const EngineError& e) {
    throw EngineError(std::string("corpus ") + corpus.path + ": " + e.what() +
                      " (the teacher checkpoint was trained on another corpus?)");
  }
  const auto n = static_cast<int64_t>(ids.size());
  const auto nVal = static_cast<int64_t>(std::llround(static_cast<double>(n) * data.val_fraction));
  const int64_t nTrain = n - nVal;
  // Each split must hold at least one window of block_size inputs plus its shifted target.
  const int64_t need = data.block_size + 1;
  if (nTrain < need || nVal < need) {
    throw EngineError("data.block_size " + std::to_string(data.block_size) + " is too large for the corpus " +
                      corpus.path + " (" + std::to_string(n) + " tokens: " + std::to_string(nTrain) +
                      " train, " + std::to_string(nVal) +
                      " validation; each split needs at least block_size + 1)");
  }
  auto all = torch::tensor(ids, torch::kInt64);
  corpus.train = all.slice(0, 0, nTrain);
  corpus.val = all.slice(0, nTrain, n);
  return corpus;
}

std::string engineState(const std::mt19937_64& engine) {
  std::ostringstream out;
  out << engine;
  return out.str();
}

void restoreEngineState(std::mt19937_64& engine, const std::string& state, const std::string& what) {
  std::istringstream in(state);
  std::mt19937_64 restored;
  in >> restored;
  if (in.fail()) throw EngineError(what + ": the saved random-engine state is damaged");
  engine = restored;
}

std::string BatchSampler::state() const { return engineState(m_rng); }

void BatchSampler::restore(const std::string& state) { restoreEngineState(m_rng, state, "batch sampler"); }

BatchSampler::BatchSampler(torch::Tensor tokens, int blockSize, int batchSize, uint64_t seed)
    : m_tokens(std::move(tokens)), m_blockSize(blockSize), m_batchSize(batchSize), m_rng(seed) {}

Batch BatchSampler::next() {
  const int64_t maxStart = m_tokens.size(0) - m_blockSize - 1;
  std::uniform_int_distribution<int64_t> pick(0, maxStart);
  std::vector<int64_t> starts(static_cast<size_t>(m_batchSize));
  for (auto& s : starts) s = pick(m_rng);
  auto offsets = torch::tensor(starts, torch::kInt64).unsqueeze(1);      // (B, 1)
  auto index = offsets + torch::arange(m_blockSize + 1, torch::kInt64);  // (B, T+1)
  auto windows = m_tokens.index({index});                                // (B, T+1)
  return {windows.slice(1, 0, m_blockSize).contiguous(), windows.slice(1, 1, m_blockSize + 1).contiguous()};
}

std::vector<Batch> fixedBatches(const torch::Tensor& tokens, int blockSize, int batchSize, int count,
                                uint64_t seed) {
  BatchSampler sampler(tokens, blockSize, batchSize, seed);
  std::vector<Batch> batches;
  batches.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) batches.push_back(sampler.next());
  return batches;
}

}  // namespace distill
