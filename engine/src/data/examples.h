#pragma once

// Prompt/response examples (data.format prompt_response or messages): read from JSON Lines records,
// checked one by one (an unusable record names its file and line), and packed whole into rows of
// a fixed length with a flag on every response token, so the loss can count responses alone.

#include <cstdint>
#include <string>
#include <vector>

#include "data/corpus_reader.h"
#include "distill/config.h"
#include "tokenizers/tokenizer.h"

namespace distill {

/// One example as a record gave it.
struct Example {
  std::string prompt;
  std::string response;  ///< without data.response_end
  std::string where;     ///< "file:line"
};

/// data.bad_records applied: `stop` throws at the first unusable record, `skip` counts them.
class BadRecordPolicy {
public:
  explicit BadRecordPolicy(BadRecords mode) : m_mode(mode) {}
  /// Throws EngineError "<where>: <reason>" (stop), or counts the record (skip).
  void reject(const std::string& where, const std::string& reason);
  int64_t skipped() const { return m_skipped; }
  /// "<where>: <reason>" of the first skipped record ("" when none was).
  const std::string& firstSkipped() const { return m_first; }

private:
  BadRecords m_mode;
  int64_t m_skipped = 0;
  std::string m_first;
};

/// The example a chat record's turns give (data.format messages): the last turn, which must be the
/// assistant's, is the response; the turns before it, each rendered as "<role>: <content>\n", and
/// then "assistant: " are the prompt. Returns the problem instead when the turns are unusable.
struct RenderedTurns {
  Example example;
  std::string problem;  ///< "" when the turns were usable
};
RenderedTurns renderMessages(const nlohmann::json& turns);

/// Every usable example of the JSON Lines `files` as data.format and its field names say, in file
/// and line order. Empty lines are skipped; other unusable records go to `policy`.
std::vector<Example> readExamples(const std::vector<CorpusFile>& files, const DataConfig& data,
                                  BadRecordPolicy& policy);

/// Examples packed into rows of `rowLength` tokens: each example (prompt, then response and
/// data.response_end) goes whole into the current row, or starts a new one (the rest of the row is
/// padding, id 0, flagged as no response). A response longer than a whole row keeps what fits and is
/// counted as truncated; a prompt that leaves no room for a response is a bad record.
struct PackedRows {
  std::vector<int64_t> tokens;    ///< rows × rowLength ids
  std::vector<int64_t> response;  ///< the same layout: 1 on every response token, else 0
  int64_t rowLength = 0;
  int64_t rows = 0;
  int64_t examples = 0;
  int64_t responseTokens = 0;
  int64_t truncated = 0;  ///< responses cut at the end of a row
};
PackedRows packExamples(const std::vector<Example>& examples, const Tokenizer& tokenizer,
                        const DataConfig& data, int64_t rowLength, BadRecordPolicy& policy);

}  // namespace distill
