#include "store/resume_state_check.h"

#include <cmath>
#include <cstdint>

#include "distill/errors.h"

namespace distill {

namespace {

constexpr int kMaxDepth = 8;                   // the format nests 3 deep
constexpr size_t kMaxConfigBytes = 1 << 20;    // a resolved experiment is a few KiB
constexpr size_t kMaxSamplerBytes = 64 << 10;  // mt19937_64's state as text: ~6.5 KiB
constexpr size_t kMaxModels = 4096;
constexpr int64_t kMaxSteps = 1'000'000'000;     // the schema's largest step count
constexpr int64_t kMaxBytes = int64_t{1} << 50;  // metrics/samples file lengths

class Checker {
public:
  explicit Checker(std::string where) : m_where(std::move(where)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw EngineError(m_where + ": '" + key + "' " + what);
  }
  const nlohmann::json& field(const nlohmann::json& object, const std::string& key) const {
    const auto it = object.find(key);
    if (it == object.end()) fail(key, "is missing");
    return *it;
  }
  void integer(const nlohmann::json& object, const std::string& key, int64_t lo, int64_t hi) const {
    const auto& v = field(object, key);
    if (!v.is_number_integer()) fail(key, "is not an integer");
    // get<int>() on a larger number would wrap silently: check the range on the stored type.
    bool inRange = false;
    if (v.is_number_unsigned()) {
      const uint64_t x = v.get<uint64_t>();
      inRange = x <= static_cast<uint64_t>(hi) && (lo <= 0 || x >= static_cast<uint64_t>(lo));
    } else {
      const int64_t x = v.get<int64_t>();
      inRange = x >= lo && x <= hi;
    }
    if (!inRange) fail(key, "is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  void number(const nlohmann::json& object, const std::string& key, double lo, double hi) const {
    const auto& v = field(object, key);
    if (!v.is_number()) fail(key, "is not a number");
    const double x = v.get<double>();
    if (!std::isfinite(x) || x < lo || x > hi) fail(key, "is out of range");
  }
  void text(const nlohmann::json& object, const std::string& key, size_t maxBytes) const {
    const auto& v = field(object, key);
    if (!v.is_string()) fail(key, "is not a string");
    if (v.get_ref<const std::string&>().size() > maxBytes)
      fail(key, "is longer than " + std::to_string(maxBytes) + " bytes");
  }

private:
  std::string m_where;
};

}  // namespace

nlohmann::json parseResumeState(const std::string& text, const std::string& where) {
  if (text.size() > kMaxResumeStateBytes)
    throw EngineError(where + " is " + std::to_string(text.size()) +
                      " bytes, more than a resume state can be");
  // Depth is bounded while parsing: a deeply nested document must not exhaust the stack.
  const auto depthLimit = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > kMaxDepth)
      throw EngineError(where + " nests deeper than " + std::to_string(kMaxDepth) + " levels");
    return true;
  };
  nlohmann::json state;
  try {
    state = nlohmann::json::parse(text, depthLimit);
  } catch (const nlohmann::json::exception& e) {
    throw EngineError(where + " is not valid JSON: " + e.what());
  }
  const Checker check(where);
  if (!state.is_object()) check.fail("(document)", "is not an object");
  const auto& phase = check.field(state, "phase");
  if (!phase.is_string() || (phase != "teacher" && phase != "students"))
    check.fail("phase", "is not teacher or students");
  check.integer(state, "step", 0, kMaxSteps);
  check.integer(state, "total_steps", 0, kMaxSteps);
  if (state.at("step").get<int64_t>() > state.at("total_steps").get<int64_t>())
    check.fail("step", "is beyond total_steps");
  check.text(state, "config", kMaxConfigBytes);
  check.number(state, "elapsed_s", 0.0, 1e9);
  check.integer(state, "metrics_bytes", 0, kMaxBytes);
  check.integer(state, "samples_bytes", 0, kMaxBytes);
  check.integer(state, "corpus_tokens", 0, kMaxBytes);
  check.text(state, "batch_sampler", kMaxSamplerBytes);
  if (state.contains("sequence_sampler")) check.text(state, "sequence_sampler", kMaxSamplerBytes);
  if (state.contains("world_size")) check.integer(state, "world_size", 1, 65536);
  const auto& models = check.field(state, "models");
  if (!models.is_array() || models.size() > kMaxModels)
    check.fail("models", "is not a list of at most 4096 models");
  for (const auto& model : models) {
    if (!model.is_object()) check.fail("models", "holds an entry that is not an object");
    check.text(model, "name", 256);
    check.integer(model, "steps", 0, kMaxSteps);
    check.integer(model, "train_tokens", 0, kMaxBytes);
    check.number(model, "train_seconds", 0.0, 1e9);
  }
  return state;
}

}  // namespace distill
