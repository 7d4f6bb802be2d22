#include "run/step_decision.h"

#include <cmath>
#include <limits>

namespace distill {

namespace {

// The message's slots; its length is kSlots.
enum Slot { kState, kLr, kTemperature, kAlpha, kEvalInterval, kSlots };

}  // namespace

torch::Tensor StepDecision::pack() const {
  auto message = torch::full({kSlots}, std::numeric_limits<double>::quiet_NaN(), torch::kFloat64);
  auto* slot = message.data_ptr<double>();
  slot[kState] = static_cast<double>(state);
  if (changes.lr) slot[kLr] = *changes.lr;
  if (changes.temperature) slot[kTemperature] = *changes.temperature;
  if (changes.alpha) slot[kAlpha] = *changes.alpha;
  if (changes.evalInterval) slot[kEvalInterval] = static_cast<double>(*changes.evalInterval);
  return message;
}

StepDecision StepDecision::unpack(const torch::Tensor& message) {
  const auto values = message.to(torch::kFloat64).contiguous();
  const auto* slot = values.data_ptr<double>();
  auto read = [&](Slot s) -> std::optional<double> {
    return std::isnan(slot[s]) ? std::nullopt : std::optional<double>(slot[s]);
  };
  StepDecision out;
  out.state = static_cast<State>(static_cast<int>(slot[kState]));
  out.changes.lr = read(kLr);
  out.changes.temperature = read(kTemperature);
  out.changes.alpha = read(kAlpha);
  if (auto interval = read(kEvalInterval)) out.changes.evalInterval = static_cast<int>(*interval);
  return out;
}

bool StepDecision::operator==(const StepDecision& o) const {
  return state == o.state && changes.lr == o.changes.lr && changes.temperature == o.changes.temperature &&
         changes.alpha == o.changes.alpha && changes.evalInterval == o.changes.evalInterval;
}

}  // namespace distill
