#pragma once

// Quality measures shown under each generated sample. Words are whitespace-separated.

#include <string>
#include <vector>

namespace distill {

/// Share of distinct word n-grams among all word n-grams (0 when the text has none).
double distinctN(const std::string& text, int n);

/// ROUGE-L F1 between two texts: longest common word subsequence against both lengths.
double rougeL(const std::string& candidate, const std::string& reference);

/// exp(-mean log-probability); infinity for an empty list.
double perplexityFromLogProbs(const std::vector<double>& logProbs);

std::vector<std::string> splitWords(const std::string& text);

/// Whether an answer is the reference: equal once whitespace around both is trimmed.
bool exactMatch(const std::string& answer, const std::string& reference);

}  // namespace distill
