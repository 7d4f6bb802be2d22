#pragma once

// Prompt/response data at the end of a run: every model answers the held-out prompts (greedy, so
// an answer is the model's own best guess, the same on every machine) and the answers are scored
// against the references and against the teacher's answers.

#include <functional>
#include <string>
#include <vector>

#include "data/examples.h"
#include "distill/experiment.h"
#include "models/language_model.h"
#include "tokenizers/tokenizer.h"

namespace distill {

/// The model's greedy answer to each example's prompt: decoded until `responseEnd` appears (cut
/// there) or twice the reference's tokens and the end marker's have been generated, at most
/// `maxNewTokens`. Stops early (returning what it has) when `keepGoing` says so.
std::vector<std::string> answerHeldOut(LanguageModelImpl& model, const Tokenizer& tokenizer,
                                       const std::vector<Example>& examples, const std::string& responseEnd,
                                       int maxNewTokens, const std::function<bool()>& keepGoing);

/// Exact match and ROUGE-L of `answers` against the examples' references and, when given, against
/// the teacher's answers (the same prompts, in the same order).
ResponseScores scoreAnswers(const std::vector<std::string>& answers, const std::vector<Example>& examples,
                            const std::vector<std::string>* teacherAnswers);

}  // namespace distill
