#include "models/recurrent_lm.h"

namespace distill {

namespace {

struct RecurrentState : DecodeState {
  torch::Tensor h;  // (layers, B, hidden)
  torch::Tensor c;  // (layers, B, hidden), LSTM only
};

}  // namespace

RecurrentLMImpl::RecurrentLMImpl(const ModelSpec& spec, int64_t vocabSize)
    : m_spec(spec), m_vocabSize(vocabSize) {
  const int64_t hidden = hiddenSize();
  m_tokens = register_module("tokens", torch::nn::Embedding(vocabSize, spec.embd));
  const double between = spec.layers > 1 ? spec.dropout : 0.0;
  if (spec.arch == Arch::Lstm) {
    m_lstm = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(spec.embd, hidden)
                                                         .num_layers(spec.layers)
                                                         .dropout(between)
                                                         .batch_first(true)));
  } else {
    m_gru = register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(spec.embd, hidden)
                                                      .num_layers(spec.layers)
                                                      .dropout(between)
                                                      .batch_first(true)));
  }
  m_dropout = register_module("dropout", torch::nn::Dropout(spec.dropout));
  m_head = register_module("head", torch::nn::Linear(hidden, vocabSize));
  torch::NoGradGuard noGrad;
  m_tokens->weight.normal_(0.0, 0.1);
}

torch::Tensor RecurrentLMImpl::forward(const torch::Tensor& ids) {
  RecurrentState state;
  return decode(ids, state);
}

std::unique_ptr<DecodeState> RecurrentLMImpl::startDecoding() const {
  return std::make_unique<RecurrentState>();
}

torch::Tensor RecurrentLMImpl::decode(const torch::Tensor& ids, DecodeState& base) {
  auto& state = dynamic_cast<RecurrentState&>(base);
  auto x = m_dropout(m_tokens(ids));  // (B, T, E)
  torch::Tensor out;                  // (B, T, hidden)
  if (m_lstm) {
    torch::optional<std::tuple<torch::Tensor, torch::Tensor>> initial;
    if (state.h.defined()) initial = std::make_tuple(state.h, state.c);
    auto [y, hc] = m_lstm(x, initial);
    out = y;
    state.h = std::get<0>(hc);
    state.c = std::get<1>(hc);
  } else {
    auto [y, h] = m_gru(x, state.h.defined() ? state.h : torch::Tensor());
    out = y;
    state.h = h;
  }
  state.position += ids.size(1);
  return floatLogits(m_head(m_dropout(out)));  // (B, T, V)
}

}  // namespace distill
