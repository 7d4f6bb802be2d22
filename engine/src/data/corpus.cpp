#include "data/corpus.h"

#include <cmath>
#include <filesystem>
#include <sstream>

#include "data/held_out.h"
#include "data/token_cache.h"
#include "distill/errors.h"
#include "util/paths.h"
#include "util/sha256.h"
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

namespace {

/// The split's ranges of the cache's ids: the tail of the stream, or whole documents chosen by a
/// hash of their index (so the same documents are held out on every run and machine).
void splitCorpus(Corpus& corpus, const TokenCache& cache, const DataConfig& data) {
  const int64_t n = cache.ids->size();
  std::vector<TokenStream::Range> train, val;
  if (data.val_split == ValSplit::Tail) {
    const auto nVal = static_cast<int64_t>(std::llround(static_cast<double>(n) * data.val_fraction));
    train.push_back({0, n - nVal});
    val.push_back({n - nVal, n});
  } else {
    const auto& starts = cache.documentStarts;
    if (starts.size() < 2)
      throw EngineError("data.val_split documents needs at least two documents, but " + corpus.path +
                        " is one (use data.val_split tail, or a folder or JSON Lines corpus)");
    for (size_t i = 0; i < starts.size(); ++i) {
      const TokenStream::Range range{starts[i], i + 1 < starts.size() ? starts[i + 1] : n};
      auto& side = heldOutByIndex(i, data.val_fraction) ? val : train;
      if (!side.empty() && side.back().end == range.begin)
        side.back().end = range.end;
      else
        side.push_back(range);
    }
  }
  corpus.train = TokenStream(cache.ids, train);
  corpus.val = TokenStream(cache.ids, val);
}

}  // namespace

Corpus loadCorpus(const DataConfig& data, const Tokenizer* tokenizer, const CorpusOptions& options) {
  if (data.examples()) return loadExampleCorpus(data, tokenizer);
  Corpus corpus;
  corpus.path = data.corpus.empty() ? bundledCorpusPath() : data.corpus;
  TokenCacheRequest request;
  request.corpus = corpus.path;
  request.files = corpusFiles(corpus.path);
  request.textField = data.text_field;
  request.options = options;
  if (tokenizer) {
    request.tokenizer = *tokenizer;
    request.tokenizerLabel = "embedded:" + sha256OfText(tokenizer->toJson().dump()).substr(0, 16);
  } else if (data.tokenizer == "char") {
    request.tokenizerLabel = "char";
  } else {
    request.tokenizer = Tokenizer::load(data.tokenizer);
    request.tokenizerLabel = std::filesystem::absolute(data.tokenizer).lexically_normal().string();
  }
  TokenCache cache;
  try {
    cache = loadTokenCache(request);
  } catch (const EngineError& e) {
    if (!tokenizer) throw;
    throw EngineError(std::string(e.what()) + " (the teacher checkpoint was trained on another corpus?)");
  }
  corpus.bytes = cache.bytes;
  corpus.sha256 = cache.digest;
  corpus.documents = static_cast<int64_t>(cache.documentStarts.size());
  corpus.tokenizer = cache.tokenizer;
  splitCorpus(corpus, cache, data);
  // Each split must hold at least one window of block_size inputs plus its shifted target.
  const int64_t need = data.block_size + 1, nTrain = corpus.train.size(), nVal = corpus.val.size();
  if (nTrain < need || nVal < need) {
    throw EngineError("data.block_size " + std::to_string(data.block_size) + " is too large for the corpus " +
                      corpus.path + " (" + std::to_string(nTrain + nVal) +
                      " tokens: " + std::to_string(nTrain) + " train, " + std::to_string(nVal) +
                      " validation; each split needs at least block_size + 1)");
  }
  auto& facts = corpus.facts;
  facts.bytes = corpus.bytes;
  facts.characters = nTrain + nVal;
  facts.vocabSize = corpus.tokenizer.vocabSize();
  facts.trainTokens = nTrain;
  facts.valTokens = nVal;
  facts.documents = corpus.documents;
  facts.tokenizerKind = corpus.tokenizer.kind();
  facts.cachePath = cache.path;
  facts.reusedCache = cache.reused;
  facts.seconds = cache.seconds;
  facts.note = cache.note;
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

BatchSampler::BatchSampler(TokenStream tokens, int blockSize, int batchSize, uint64_t seed,
                           TokenStream response)
    : m_tokens(std::move(tokens)),
      m_response(std::move(response)),
      m_blockSize(blockSize),
      m_batchSize(batchSize),
      m_rng(seed) {}

namespace {

/// The batch of windows [start, start + blockSize] of `tokens` (and of the response flags, if any).
Batch batchAt(const std::vector<int64_t>& starts, const TokenStream& tokens, const TokenStream& response,
              int blockSize) {
  const auto windows = tokens.windows(starts, blockSize + 1);  // (B, T+1)
  Batch batch{
      windows.slice(1, 0, blockSize).contiguous(), windows.slice(1, 1, blockSize + 1).contiguous(), {}};
  // A target counts when the token it predicts is part of a response.
  if (response.size() > 0) batch.mask = response.windows(starts, blockSize + 1).slice(1, 1).to(torch::kBool);
  return batch;
}

}  // namespace

Batch BatchSampler::next() {
  const bool rows = m_response.size() > 0;
  const int64_t rowLength = m_blockSize + 1;
  const int64_t maxStart = rows ? m_tokens.size() / rowLength - 1 : m_tokens.size() - rowLength;
  std::uniform_int_distribution<int64_t> pick(0, maxStart);
  std::vector<int64_t> starts(static_cast<size_t>(m_batchSize));
  for (auto& s : starts) s = rows ? pick(m_rng) * rowLength : pick(m_rng);
  return batchAt(starts, m_tokens, m_response, m_blockSize);
}

std::vector<Batch> fixedBatches(const TokenStream& tokens, int blockSize, int batchSize, int count,
                                uint64_t seed, const TokenStream& response) {
  std::vector<Batch> batches;
  batches.reserve(static_cast<size_t>(count));
  if (response.size() > 0) {  // the held-out rows in order, each once
    const int64_t rowLength = blockSize + 1, rows = tokens.size() / rowLength;
    for (int64_t first = 0; first < rows && static_cast<int>(batches.size()) < count; first += batchSize) {
      std::vector<int64_t> starts;
      for (int64_t r = first; r < std::min(rows, first + batchSize); ++r) starts.push_back(r * rowLength);
      batches.push_back(batchAt(starts, tokens, response, blockSize));
    }
    return batches;
  }
  BatchSampler sampler(tokens, blockSize, batchSize, seed);
  for (int i = 0; i < count; ++i) batches.push_back(sampler.next());
  return batches;
}

}  // namespace distill
