#include "run/held_out_answers.h"

#include <algorithm>

#include "distill/text_metrics.h"
#include "models/sampling.h"

namespace distill {

std::vector<std::string> answerHeldOut(LanguageModelImpl& model, const Tokenizer& tokenizer,
                                       const std::vector<Example>& examples, const std::string& responseEnd,
                                       int maxNewTokens, const std::function<bool()>& keepGoing) {
  SamplingOptions greedy;
  greedy.greedy = true;
  const auto endTokens = static_cast<int>(tokenizer.encode(responseEnd).size());
  std::vector<std::string> answers;
  for (const auto& example : examples) {
    if (keepGoing && !keepGoing()) break;
    const auto referenceTokens = static_cast<int>(tokenizer.encode(example.response).size());
    greedy.maxNewTokens = std::min(maxNewTokens, 2 * referenceTokens + endTokens);
    const auto ids = generateIds(model, tokenizer.encode(example.prompt), greedy);
    auto text = tokenizer.decode(ids);
    if (const auto end = text.find(responseEnd); end != std::string::npos) text.resize(end);
    answers.push_back(std::move(text));
  }
  return answers;
}

ResponseScores scoreAnswers(const std::vector<std::string>& answers, const std::vector<Example>& examples,
                            const std::vector<std::string>* teacherAnswers) {
  ResponseScores scores;
  const size_t n = std::min(answers.size(), examples.size());
  if (n == 0) return scores;
  double exact = 0, rouge = 0, exactTeacher = 0, rougeTeacher = 0;
  for (size_t i = 0; i < n; ++i) {
    exact += exactMatch(answers[i], examples[i].response) ? 1.0 : 0.0;
    rouge += rougeL(answers[i], examples[i].response);
    if (teacherAnswers && i < teacherAnswers->size()) {
      exactTeacher += exactMatch(answers[i], (*teacherAnswers)[i]) ? 1.0 : 0.0;
      rougeTeacher += rougeL(answers[i], (*teacherAnswers)[i]);
    }
  }
  const auto count = static_cast<double>(n);
  scores.examples = static_cast<int>(n);
  scores.exactMatch = exact / count;
  scores.rougeL = rouge / count;
  if (teacherAnswers) {
    scores.exactMatchTeacher = exactTeacher / count;
    scores.rougeLTeacher = rougeTeacher / count;
  }
  return scores;
}

}  // namespace distill
