#include "kd/cross_tokenizer.h"

#include "distill/errors.h"
#include "util/utf8.h"

namespace distill {

namespace {

std::vector<int64_t> rowIds(const torch::Tensor& row) {
  const auto r = row.to(torch::kCPU, torch::kInt64).contiguous();
  return std::vector<int64_t>(r.data_ptr<int64_t>(), r.data_ptr<int64_t>() + r.numel());
}

}  // namespace

std::vector<int64_t> encodeLeniently(const Tokenizer& to, const std::string& text) {
  const std::string valid = replaceInvalidUtf8(text);
  try {
    return to.encode(valid);
  } catch (const EngineError&) {
    // Character by character, leaving out those `to` cannot encode.
  }
  std::vector<char32_t> points;
  size_t bad = 0;
  decodeUtf8(valid, points, bad);
  std::vector<int64_t> out;
  for (char32_t point : points) {
    std::string one;
    appendUtf8(one, point);
    try {
      for (int64_t id : to.encode(one)) out.push_back(id);
    } catch (const EngineError&) {
      continue;
    }
  }
  return out;
}

RetokenizedRows retokenizeRows(const torch::Tensor& ids, const Tokenizer& from, const Tokenizer& to) {
  const int64_t rows = ids.size(0), length = ids.size(1);
  std::vector<int64_t> flat(static_cast<size_t>(rows * length), 0);
  std::vector<uint8_t> real(flat.size(), 0);
  for (int64_t r = 0; r < rows; ++r) {
    const auto encoded = encodeLeniently(to, from.decode(rowIds(ids[r])));
    const int64_t n = std::min<int64_t>(length, static_cast<int64_t>(encoded.size()));
    for (int64_t t = 0; t < n; ++t) {
      flat[static_cast<size_t>(r * length + t)] = encoded[static_cast<size_t>(t)];
      real[static_cast<size_t>(r * length + t)] = 1;
    }
  }
  RetokenizedRows out;
  out.ids = torch::tensor(flat, torch::kInt64).reshape({rows, length}).to(ids.device());
  out.mask = torch::tensor(std::vector<int64_t>(real.begin(), real.end()), torch::kInt64)
                 .reshape({rows, length})
                 .to(ids.device())
                 .to(torch::kBool);
  return out;
}

SequenceSet retokenizeSequences(const SequenceSet& set, const Tokenizer& from, const Tokenizer& to,
                                int rowLength) {
  std::vector<int64_t> flat;
  int64_t rows = 0;
  for (int64_t i = 0; i < set.tokens.size(0); ++i) {
    const auto encoded = encodeLeniently(to, from.decode(rowIds(set.tokens[i])));
    const size_t whole = encoded.size() / static_cast<size_t>(rowLength);
    flat.insert(flat.end(), encoded.begin(), encoded.begin() + static_cast<long>(whole * rowLength));
    rows += static_cast<int64_t>(whole);
  }
  if (rows == 0)
    throw EngineError("the teacher's sequences re-tokenized for the student hold no whole row of " +
                      std::to_string(rowLength) +
                      " tokens (raise distill.sequence_count or data.block_size)");
  SequenceSet out;
  out.tokens = torch::tensor(flat, torch::kInt64).reshape({rows, rowLength});
  return out;
}

}  // namespace distill
