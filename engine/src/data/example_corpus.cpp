// A corpus of prompt/response examples: read and checked (data/examples.h), split into training and
// held-out examples, tokenized and packed into rows with response flags. Example sets are held in
// memory (no token cache): a row of flags per row of ids.

#include <algorithm>
#include <chrono>

#include "data/corpus.h"
#include "data/held_out.h"
#include "distill/errors.h"
#include "util/sha256.h"

namespace distill {

namespace {

std::string percent(double part, double whole) {
  return std::to_string(static_cast<int>(100.0 * part / std::max(1.0, whole) + 0.5)) + "%";
}

/// "N records skipped (first: <file:line: reason>)", or "" when none was.
std::string skippedText(const BadRecordPolicy& policy) {
  if (policy.skipped() == 0) return {};
  return std::to_string(policy.skipped()) + " records skipped (first: " + policy.firstSkipped() + ")";
}

/// Rows of ids (or of flags) held in memory as one stream.
TokenStream heldStream(const std::vector<int64_t>& values) {
  return TokenStream(TokenIds::hold(values), {{0, static_cast<int64_t>(values.size())}});
}

/// What the facts' note says about the examples: counts, padding, skipped and truncated records.
std::string examplesNote(const PackedRows& train, const PackedRows& val, const BadRecordPolicy& policy) {
  const double slots = static_cast<double>((train.rows + val.rows) * train.rowLength);
  std::string note = std::to_string(train.examples) + " training and " + std::to_string(val.examples) +
                     " held-out examples in " + std::to_string(train.rows + val.rows) + " rows of " +
                     std::to_string(train.rowLength) + " tokens; response tokens " +
                     percent(static_cast<double>(train.responseTokens + val.responseTokens), slots) +
                     " of the rows";
  if (policy.skipped() > 0) note += "; " + skippedText(policy);
  if (train.truncated + val.truncated > 0)
    note += "; " + std::to_string(train.truncated + val.truncated) + " responses cut at the end of a row";
  return note;
}

}  // namespace

Corpus loadExampleCorpus(const DataConfig& data, const Tokenizer* tokenizer) {
  const auto started = std::chrono::steady_clock::now();
  Corpus corpus;
  if (data.corpus.empty())
    throw EngineError("data.corpus: data.format " + std::string(nameOf(data.format)) +
                      " needs a JSON Lines file or folder of examples");
  corpus.path = data.corpus;
  const auto files = corpusFiles(data.corpus);
  BadRecordPolicy policy(data.bad_records);
  auto train = readExamples(files, data, policy);
  std::vector<Example> val;
  std::string digests = corpusDigest(files);
  if (!data.val_corpus.empty()) {
    const auto valFiles = corpusFiles(data.val_corpus);
    val = readExamples(valFiles, data, policy);
    digests += " " + corpusDigest(valFiles);
  } else {
    std::vector<Example> kept;
    for (size_t i = 0; i < train.size(); ++i)
      (heldOutByIndex(i, data.val_fraction) ? val : kept).push_back(std::move(train[i]));
    train = std::move(kept);
  }
  if (tokenizer) {
    corpus.tokenizer = *tokenizer;
  } else if (data.tokenizer == "char") {
    std::string text = data.response_end;
    for (const auto* set : {&train, &val})
      for (const auto& e : *set) text += e.prompt + e.response;
    corpus.tokenizer = CharTokenizer::fromText(text);
  } else {
    corpus.tokenizer = Tokenizer::load(data.tokenizer);
  }
  const int64_t rowLength = data.block_size + 1;
  const auto trainRows = packExamples(train, corpus.tokenizer, data, rowLength, policy);
  const auto valRows = packExamples(val, corpus.tokenizer, data, rowLength, policy);
  if (trainRows.rows == 0 || valRows.rows == 0) {
    throw EngineError(
        "data.corpus " + data.corpus + ": " + std::to_string(trainRows.examples) + " training and " +
        std::to_string(valRows.examples) + " held-out examples; each side needs at least one " +
        "(data.val_fraction, data.val_corpus)" + (policy.skipped() > 0 ? "; " + skippedText(policy) : ""));
  }
  corpus.train = heldStream(trainRows.tokens);
  corpus.val = heldStream(valRows.tokens);
  corpus.trainResponse = heldStream(trainRows.response);
  corpus.valResponse = heldStream(valRows.response);
  corpus.trainExamples = std::move(train);
  corpus.valExamples = std::move(val);
  // The data's identity: the files, and how they were read (another field or format is other data).
  corpus.sha256 = sha256OfText(digests + " " + nameOf(data.format) + " " + data.prompt_field + " " +
                               data.response_field + " " + data.messages_field + " " + data.response_end);
  for (const auto& f : files) corpus.bytes += f.bytes;
  corpus.documents = trainRows.examples + valRows.examples;
  auto& facts = corpus.facts;
  facts.bytes = corpus.bytes;
  facts.characters = corpus.train.size() + corpus.val.size();
  facts.vocabSize = corpus.tokenizer.vocabSize();
  facts.trainTokens = corpus.train.size();
  facts.valTokens = corpus.val.size();
  facts.documents = corpus.documents;
  facts.tokenizerKind = corpus.tokenizer.kind();
  facts.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  facts.note = examplesNote(trainRows, valRows, policy);
  return corpus;
}

}  // namespace distill
