#include "data/examples.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "distill/errors.h"

namespace distill {

void BadRecordPolicy::reject(const std::string& where, const std::string& reason) {
  const std::string message = where + ": " + reason;
  if (m_mode == BadRecords::Stop)
    throw EngineError(message + " (data.bad_records: skip leaves such records out and counts them)");
  if (m_skipped++ == 0) m_first = message;
}

RenderedTurns renderMessages(const nlohmann::json& turns) {
  RenderedTurns out;
  if (!turns.is_array() || turns.empty()) {
    out.problem = "the turns are not a non-empty list";
    return out;
  }
  for (size_t i = 0; i < turns.size(); ++i) {
    const auto& turn = turns[i];
    const bool usable = turn.is_object() && turn.contains("role") && turn["role"].is_string() &&
                        turn.contains("content") && turn["content"].is_string();
    if (!usable) {
      out.problem = "turn " + std::to_string(i) + " is not an object with string role and content";
      return out;
    }
    const auto role = turn["role"].get<std::string>();
    const auto content = turn["content"].get<std::string>();
    if (i + 1 < turns.size()) {
      out.example.prompt += role + ": " + content + "\n";
    } else if (role != "assistant") {
      out.problem =
          "the last turn is the " + role + "'s; the last turn must be the assistant's (the response)";
      return out;
    } else {
      out.example.prompt += "assistant: ";
      out.example.response = content;
    }
  }
  return out;
}

namespace {

/// The string field `key` of `record`, or the problem with it.
bool stringField(const nlohmann::json& record, const std::string& key, std::string& value,
                 std::string& problem) {
  if (!record.contains(key)) {
    problem = "no field \"" + key + "\"";
    return false;
  }
  if (!record[key].is_string()) {
    problem = "the field \"" + key + "\" is not a string";
    return false;
  }
  value = record[key].get<std::string>();
  return true;
}

/// The example of one parsed record, or the problem with it.
RenderedTurns exampleOf(const nlohmann::json& record, const DataConfig& data) {
  if (!record.is_object()) return {{}, "not a JSON object"};
  if (data.format == DataFormat::Messages) {
    if (!record.contains(data.messages_field)) return {{}, "no field \"" + data.messages_field + "\""};
    return renderMessages(record[data.messages_field]);
  }
  RenderedTurns out;
  if (stringField(record, data.prompt_field, out.example.prompt, out.problem))
    stringField(record, data.response_field, out.example.response, out.problem);
  return out;
}

}  // namespace

std::vector<Example> readExamples(const std::vector<CorpusFile>& files, const DataConfig& data,
                                  BadRecordPolicy& policy) {
  std::vector<Example> examples;
  for (const auto& file : files) {
    if (!file.jsonLines)
      throw EngineError(file.path + ": data.format " + nameOf(data.format) +
                        " reads JSON Lines (.jsonl) files, one example per line");
    std::ifstream in(file.path, std::ios::binary);
    if (!in) throw EngineError("cannot read " + file.path);
    std::string line;
    for (int64_t number = 1; std::getline(in, line); ++number) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      const std::string where = file.path + ":" + std::to_string(number);
      RenderedTurns parsed;
      try {
        parsed = exampleOf(nlohmann::json::parse(line), data);
      } catch (const nlohmann::json::exception& e) {
        parsed.problem = std::string("not a JSON record (") + e.what() + ")";
      }
      if (parsed.problem.empty() && parsed.example.response.empty()) parsed.problem = "the response is empty";
      if (!parsed.problem.empty()) {
        policy.reject(where, parsed.problem);
        continue;
      }
      parsed.example.where = where;
      examples.push_back(std::move(parsed.example));
    }
    if (in.bad()) throw EngineError("error while reading " + file.path);
  }
  return examples;
}

PackedRows packExamples(const std::vector<Example>& examples, const Tokenizer& tokenizer,
                        const DataConfig& data, int64_t rowLength, BadRecordPolicy& policy) {
  PackedRows out;
  out.rowLength = rowLength;
  int64_t used = rowLength;  // of the current row; a full row makes the first example open one
  auto openRow = [&] {
    out.tokens.resize(out.tokens.size() + static_cast<size_t>(rowLength - used), 0);  // padding
    out.response.resize(out.tokens.size(), 0);
    ++out.rows;
    used = 0;
  };
  for (const auto& example : examples) {
    const auto prompt = tokenizer.encode(example.prompt);
    auto response = tokenizer.encode(example.response + data.response_end);
    const auto promptLength = static_cast<int64_t>(prompt.size());
    if (promptLength + 1 >= rowLength) {  // a response token needs a place after the prompt
      policy.reject(example.where, "the prompt is " + std::to_string(promptLength) +
                                       " tokens, and a row holds data.block_size + 1 = " +
                                       std::to_string(rowLength) + " with at least one response token");
      continue;
    }
    auto length = promptLength + static_cast<int64_t>(response.size());
    if (used + length > rowLength) openRow();
    if (length > rowLength) {
      response.resize(static_cast<size_t>(rowLength - promptLength));
      length = rowLength;
      ++out.truncated;
    }
    out.tokens.insert(out.tokens.end(), prompt.begin(), prompt.end());
    out.tokens.insert(out.tokens.end(), response.begin(), response.end());
    out.response.resize(out.response.size() + prompt.size(), 0);
    out.response.resize(out.response.size() + response.size(), 1);
    out.responseTokens += static_cast<int64_t>(response.size());
    used += length;
    ++out.examples;
  }
  if (out.rows > 0) {
    out.tokens.resize(static_cast<size_t>(out.rows * rowLength), 0);
    out.response.resize(out.tokens.size(), 0);
  }
  return out;
}

}  // namespace distill
