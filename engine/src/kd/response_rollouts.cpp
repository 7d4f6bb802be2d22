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

std::vector<std::vector<int64_t>> continuePrompts(LanguageModelImpl& model,
                                                  const std::vector<std::vector<int64_t>>& prompts,
                                                  const std::vector<int64_t>& newTokens, size_t batchRows,
                                                  double temperature, int topK, at::Generator& generator,
                                                  const std::function<bool(int64_t, int64_t)>& keepGoing) {
  std::map<size_t, std::vector<size_t>> byLength;  // prompt tokens → prompts
  for (size_t k = 0; k < prompts.size(); ++k) byLength[prompts[k].size()].push_back(k);
  std::vector<std::vector<int64_t>> out(prompts.size());
  const auto device = deviceOf(model);
  int64_t done = 0, tokens = 0;
  for (const auto& [promptTokens, members] : byLength) {
    const auto P = static_cast<int64_t>(promptTokens);
    for (size_t begin = 0; begin < members.size(); begin += batchRows) {
      if (keepGoing && !keepGoing(done, tokens)) return {};
      const size_t end = std::min(members.size(), begin + batchRows);
      int64_t longest = 0;
      std::vector<int64_t> flat;
      for (size_t m = begin; m < end; ++m) {
        longest = std::max(longest, newTokens[members[m]]);
        flat.insert(flat.end(), prompts[members[m]].begin(), prompts[members[m]].end());
      }
      done += static_cast<int64_t>(end - begin);
      if (P == 0 || longest <= 0) continue;  // nothing to continue, or no room to
      tokens += static_cast<int64_t>(end - begin) * longest;
      const auto prefix = torch::tensor(flat, torch::kInt64).view({-1, P}).to(device);
      const auto rows =
          sampleSequences(model, prefix, P + longest, temperature, topK, generator).to(torch::kCPU);
      for (size_t m = begin; m < end; ++m) {
        const auto row = rows[static_cast<int64_t>(m - begin)].contiguous();
        out[members[m]].assign(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
      }
    }
  }
  if (keepGoing) keepGoing(done, tokens);
  return out;
}

ResponseRows sampleResponses(LanguageModelImpl& student, const PromptPool& pool,
                             const std::vector<int64_t>& picked, int blockSize, double temperature, int topK,
                             at::Generator& generator) {
  std::vector<std::vector<int64_t>> prompts;
  std::vector<int64_t> promptLengths, newTokens;
  for (const auto index : picked) {
    prompts.push_back(pool.prompts[static_cast<size_t>(index)]);
    promptLengths.push_back(static_cast<int64_t>(prompts.back().size()));
    newTokens.push_back(std::min<int64_t>(blockSize - promptLengths.back(), pool.maxNewTokens));
  }
  const auto sequences =
      continuePrompts(student, prompts, newTokens, prompts.size(), temperature, topK, generator);
  auto out = responseRows(sequences, promptLengths, pool.responseEnd, blockSize);
  const auto device = deviceOf(student);
  out.tokens = out.tokens.to(device);
  out.positionMask = out.positionMask.to(device);
  return out;
}

}  // namespace distill
