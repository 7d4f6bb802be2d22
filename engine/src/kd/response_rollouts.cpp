#include "kd/response_rollouts.h"

#include <algorithm>
#include <map>

#include "models/sampling.h"

namespace distill {

PromptPool makePromptPool(const std::vector<Example>& examples, const Tokenizer& tokenizer,
                          const std::string& responseEnd, int blockSize) {
  PromptPool pool;
  pool.responseEnd = tokenizer.encode(responseEnd);
  int64_t longest = 0;
  for (const auto& example : examples) {
    auto prompt = tokenizer.encode(example.prompt);
    if (prompt.empty() || static_cast<int64_t>(prompt.size()) >= blockSize) continue;
    longest = std::max(longest, static_cast<int64_t>(tokenizer.encode(example.response).size()));
    pool.prompts.push_back(std::move(prompt));
  }
  pool.maxNewTokens = 2 * longest + static_cast<int64_t>(pool.responseEnd.size());
  return pool;
}

ResponseRows responseRows(const std::vector<std::vector<int64_t>>& sequences,
                          const std::vector<int64_t>& promptLengths, const std::vector<int64_t>& responseEnd,
                          int64_t width) {
  const auto rows = static_cast<int64_t>(sequences.size());
  std::vector<int64_t> ends(sequences.size());  // one past the answer's last token
  int64_t longest = 1;
  for (size_t r = 0; r < sequences.size(); ++r) {
    const auto& s = sequences[r];
    const auto from = s.begin() + std::min<int64_t>(promptLengths[r], static_cast<int64_t>(s.size()));
    auto found =
        responseEnd.empty() ? s.end() : std::search(from, s.end(), responseEnd.begin(), responseEnd.end());
    const auto end = found == s.end() ? s.end() : found + static_cast<int64_t>(responseEnd.size());
    ends[r] = std::min<int64_t>(width, end - s.begin());
    longest = std::max(longest, ends[r]);
  }
  ResponseRows out;
  out.tokens = torch::zeros({rows, longest}, torch::kInt64);
  out.positionMask = torch::zeros({rows, longest}, torch::kBool);
  auto tokens = out.tokens.accessor<int64_t, 2>();
  auto mask = out.positionMask.accessor<bool, 2>();
  for (int64_t r = 0; r < rows; ++r) {
    const auto& s = sequences[static_cast<size_t>(r)];
    for (int64_t t = 0; t < ends[r]; ++t) tokens[r][t] = s[static_cast<size_t>(t)];
    // Position t predicts token t + 1: the answer's tokens are promptLength … end − 1.
    for (int64_t t = std::max<int64_t>(0, promptLengths[r] - 1); t + 1 < ends[r]; ++t) mask[r][t] = true;
  }
  return out;
}

ResponseRows sampleResponses(LanguageModelImpl& student, const PromptPool& pool,
                             const std::vector<int64_t>& picked, int blockSize, double temperature, int topK,
                             at::Generator& generator) {
  std::map<size_t, std::vector<size_t>> byLength;  // prompt tokens → rows
  for (size_t r = 0; r < picked.size(); ++r)
    byLength[pool.prompts[static_cast<size_t>(picked[r])].size()].push_back(r);
  std::vector<std::vector<int64_t>> sequences(picked.size());
  std::vector<int64_t> promptLengths(picked.size());
  const auto device = deviceOf(student);
  for (const auto& [promptTokens, rows] : byLength) {
    const auto P = static_cast<int64_t>(promptTokens);
    std::vector<int64_t> flat;
    for (const size_t r : rows) {
      const auto& prompt = pool.prompts[static_cast<size_t>(picked[r])];
      flat.insert(flat.end(), prompt.begin(), prompt.end());
    }
    const auto prefix = torch::tensor(flat, torch::kInt64).view({-1, P}).to(device);
    const int64_t length = std::min<int64_t>(blockSize, P + pool.maxNewTokens);
    const auto samples =
        sampleSequences(student, prefix, length, temperature, topK, generator).to(torch::kCPU);
    for (size_t k = 0; k < rows.size(); ++k) {
      const auto row = samples[static_cast<int64_t>(k)].contiguous();
      sequences[rows[k]].assign(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
      promptLengths[rows[k]] = P;
    }
  }
  auto out = responseRows(sequences, promptLengths, pool.responseEnd, blockSize);
  out.tokens = out.tokens.to(device);
  out.positionMask = out.positionMask.to(device);
  return out;
}

}  // namespace distill
