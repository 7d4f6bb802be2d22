#pragma once

// Sequence-level KD on prompt/response data (Kim & Rush, 2016, at the level of answers): the
// teacher answers the training prompts once and the student trains on those answers, the loss on
// the teacher's response tokens only. The answers are kept as a prompt_response JSON Lines file
// (`{"prompt": …, "response": …}` per line: other tools, and this one as data.corpus, can read it)
// beside a settings file that says what made them, so a later run reuses them when it matches.

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/examples.h"
#include "models/language_model.h"
#include "tokenizers/tokenizer.h"

namespace distill {

/// Everything that decides a set of teacher responses; a saved set is reused only when all of it
/// matches.
struct TeacherResponsesHeader {
  std::string corpusDigest;   ///< the examples' identity (Corpus::sha256)
  std::string teacherDigest;  ///< the teacher's weights (weightsDigest)
  int64_t vocabSize = 0;
  int64_t rowLength = 0;  ///< tokens per packed row (block_size + 1): a prompt and its answer fit in one
  int64_t count = 0;      ///< prompts answered
  int64_t topK = 0;
  double temperature = 1.0;  ///< 0: greedy
  uint64_t seed = 0;

  bool operator==(const TeacherResponsesHeader& o) const;
};

/// SHA-256 of a model's parameters (names, shapes and float32 values, in registration order): two
/// models with the same digest answer the same.
std::string weightsDigest(LanguageModelImpl& model);

/// The teacher's answers to header.count training prompts (all of them when there are fewer),
/// picked in a random order from header.seed. Prompts of equal token length are decoded together;
/// each answer is cut where `responseEnd` appears, or after twice its reference's tokens and the end
/// marker's (at most what the row leaves). `unfinished` counts answers that never reached the end
/// marker. `keepGoing(done, tokens)` (prompts answered, tokens decoded) is called between batches;
/// false stops and returns an empty list.
std::vector<Example> generateTeacherResponses(
    LanguageModelImpl& teacher, const Tokenizer& tokenizer, const std::vector<Example>& trainExamples,
    const std::string& responseEnd, const TeacherResponsesHeader& header, int64_t* unfinished,
    const std::function<bool(int64_t done, int64_t tokens)>& keepGoing = {});

/// Where the settings of the responses at `path` are kept: "x.jsonl" → "x.settings.json".
std::string teacherResponsesSettingsPath(const std::string& path);

/// Writes the answers (JSON Lines) and their settings file, each atomically.
void saveTeacherResponses(const std::string& path, const TeacherResponsesHeader& header,
                          const std::vector<Example>& responses);

/// Reads a set written by saveTeacherResponses; throws EngineError naming the file (and line) when
/// either file is missing or unusable.
std::vector<Example> loadTeacherResponses(const std::string& path, TeacherResponsesHeader* header);

}  // namespace distill
