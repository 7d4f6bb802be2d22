#pragma once

#include "models/language_model.h"

namespace distill {

/// Embedding → LSTM or GRU stack → linear head. Trained on windows from a zero state; decoding
/// carries the state, so it is not bounded by the block size.
class RecurrentLMImpl : public LanguageModelImpl {
public:
  RecurrentLMImpl(const ModelSpec& spec, int64_t vocabSize);

  torch::Tensor forward(const torch::Tensor& ids) override;
  std::unique_ptr<DecodeState> startDecoding() const override;
  torch::Tensor decode(const torch::Tensor& ids, DecodeState& state) override;
  int64_t contextLimit() const override { return 0; }
  const ModelSpec& spec() const override { return m_spec; }
  int64_t vocabSize() const override { return m_vocabSize; }

  int64_t hiddenSize() const { return m_spec.hidden > 0 ? m_spec.hidden : m_spec.embd; }

private:
  ModelSpec m_spec;
  int64_t m_vocabSize;
  torch::nn::Embedding m_tokens{nullptr};
  torch::nn::LSTM m_lstm{nullptr};
  torch::nn::GRU m_gru{nullptr};
  torch::nn::Dropout m_dropout{nullptr};
  torch::nn::Linear m_head{nullptr};
};

}  // namespace distill
