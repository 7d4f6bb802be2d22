#pragma once

// Generation from a saved model, for `distill generate` and the GUI's sample panes.

#include <memory>
#include <string>
#include <vector>

#include "distill/sampling_options.h"

namespace distill {

struct GenerationResult {
  std::string text;  ///< the continuation only
  std::vector<long long> ids;
  double tokensPerSecond = 0.0;
};

/// How a model (usually the teacher) rates one token of someone else's text.
struct TokenScore {
  std::string text;      ///< the token as text
  double logProb = 0.0;  ///< log p(token | everything before it)
  std::vector<std::pair<std::string, double>> alternatives;  ///< the model's top choices, log-probs
};

/// A model loaded from a checkpoint, ready to continue prompts. Not thread-safe: use one per thread.
class TextGenerator {
public:
  /// Loads `checkpointPath`; throws EngineError when it cannot.
  explicit TextGenerator(const std::string& checkpointPath);
  ~TextGenerator();
  TextGenerator(const TextGenerator&) = delete;
  TextGenerator& operator=(const TextGenerator&) = delete;

  GenerationResult generate(const std::string& prompt, const SamplingOptions& options);
  /// Scores `continuation` token by token after `prompt` (teacher forcing), with the `topK` most
  /// likely alternatives at each position.
  std::vector<TokenScore> score(const std::string& prompt, const std::string& continuation, int topK = 5);
  std::string modelName() const;
  long long parameterCount() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// Path of a model's checkpoint inside a run directory.
std::string checkpointPathFor(const std::string& runDir, const std::string& modelName);

/// Names of the models a run directory holds checkpoints for.
std::vector<std::string> modelsInRun(const std::string& runDir);

}  // namespace distill
