#include "train/bits_per_char.h"

namespace distill {

namespace {

/// Code points in UTF-8 `text`: every byte that does not continue a character.
int64_t codePoints(const std::string& text) {
  int64_t count = 0;
  for (const unsigned char c : text) count += (c & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

}  // namespace

double charactersPerToken(const std::vector<Batch>& batches, const Tokenizer& tokenizer) {
  int64_t tokens = 0, characters = 0;
  for (const auto& batch : batches) {
    const auto targets = batch.y.to(torch::kCPU, torch::kInt64).contiguous();
    const auto counted = batch.mask.defined() ? batch.mask.to(torch::kCPU, torch::kBool).contiguous()
                                              : torch::ones_like(targets, torch::kBool);
    const auto y = targets.accessor<int64_t, 2>();
    const auto mask = counted.accessor<bool, 2>();
    for (int64_t r = 0; r < y.size(0); ++r) {
      std::vector<int64_t> ids;
      for (int64_t t = 0; t < y.size(1); ++t)
        if (mask[r][t]) ids.push_back(y[r][t]);
      tokens += static_cast<int64_t>(ids.size());
      characters += codePoints(tokenizer.decode(ids));
    }
  }
  return tokens > 0 && characters > 0 ? static_cast<double>(characters) / static_cast<double>(tokens) : 1.0;
}

}  // namespace distill
