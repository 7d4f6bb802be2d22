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
  std::string text;                                          ///< the token as text
  double logProb = 0.0;                                      ///< log p(token | everything before it)
  std::vector<std::pair<std::string, double>> alternatives;  ///< the model's top choices, log-probs
};

/// A model loaded from a checkpoint or a Hugging Face folder, ready to continue prompts. Not
/// thread-safe: use one per thread.
class TextGenerator {
public:
  /// Loads a checkpoint (.pt written by a run) or a Hugging Face model folder (with its tokenizer
  /// when the folder has one); throws EngineError when it cannot.
  explicit TextGenerator(const std::string& modelPath);
  ~TextGenerator();
  TextGenerator(const TextGenerator&) = delete;
  TextGenerator& operator=(const TextGenerator&) = delete;

  GenerationResult generate(const std::string& prompt, const SamplingOptions& options);
  /// Scores `continuation` token by token after `prompt` (teacher forcing), with the `topK` most
  /// likely alternatives at each position.
  std::vector<TokenScore> score(const std::string& prompt, const std::string& continuation, int topK = 5);
  /// Continues token ids; needs no tokenizer.
  std::vector<long long> generateIds(const std::vector<long long>& prompt, const SamplingOptions& options);
  /// The next-token logits at every position of `ids` (one row of vocabulary size per id).
  std::vector<std::vector<float>> logits(const std::vector<long long>& ids);
  /// Whether text prompts work (a Hugging Face folder may come without tokenizer files).
  bool hasTokenizer() const;
  std::string modelName() const;
  long long parameterCount() const;

private:
  struct Impl;
  static std::unique_ptr<Impl> load(const std::string& modelPath);
  std::unique_ptr<Impl> m_impl;
};

/// Path of a model's checkpoint of repeat `repeat` inside a run directory. A model trained once
/// for all repeats (the shared teacher) has only the first repeat's.
std::string checkpointPathFor(const std::string& runDir, const std::string& modelName, int repeat = 1);

/// Names of the models a run directory holds checkpoints of repeat `repeat` for (the shared
/// teachers included): the teacher (an ensemble's members), then the students in the experiment's order, each
/// distilled model before its scratch twin.
std::vector<std::string> modelsInRun(const std::string& runDir, int repeat = 1);

/// Whether a model of a run is a teacher: "teacher", or "teacher-<name>" in an ensemble (students'
/// names may not start with "teacher").
inline bool isTeacherName(const std::string& modelName) {
  return modelName == "teacher" || modelName.rfind("teacher-", 0) == 0;
}

/// The teacher whose view shades samples: "teacher", or the first member of an ensemble; "" when
/// `models` (modelsInRun's order) holds none.
std::string firstTeacherOf(const std::vector<std::string>& models);

/// The colour ("#rrggbb") of teacher `index` in charts (0: the one teacher, or an ensemble's
/// first): dark tones apart from the students' hues, the same in the workbench and the report.
const char* teacherColor(size_t index);

/// How many repeats a run holds checkpoints of (1 for a run without repeats).
int repeatsInRun(const std::string& runDir);

}  // namespace distill
