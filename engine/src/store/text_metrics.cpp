#include "distill/text_metrics.h"

#include <cmath>
#include <limits>
#include <set>
#include <sstream>

namespace distill {

std::vector<std::string> splitWords(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

double distinctN(const std::string& text, int n) {
  const auto words = splitWords(text);
  if (n <= 0 || words.size() < static_cast<size_t>(n)) return 0.0;
  std::set<std::vector<std::string>> unique;
  const size_t total = words.size() - static_cast<size_t>(n) + 1;
  for (size_t i = 0; i < total; ++i)
    unique.emplace(words.begin() + static_cast<long>(i), words.begin() + static_cast<long>(i) + n);
  return static_cast<double>(unique.size()) / static_cast<double>(total);
}

double rougeL(const std::string& candidate, const std::string& reference) {
  const auto a = splitWords(candidate), b = splitWords(reference);
  if (a.empty() || b.empty()) return 0.0;
  // LCS by dynamic programming over two rows.
  std::vector<size_t> previous(b.size() + 1, 0), current(b.size() + 1, 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j)
      current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : std::max(previous[j], current[j - 1]);
    std::swap(previous, current);
  }
  const double lcs = static_cast<double>(previous[b.size()]);
  if (lcs == 0.0) return 0.0;
  const double precision = lcs / static_cast<double>(a.size()), recall = lcs / static_cast<double>(b.size());
  return 2.0 * precision * recall / (precision + recall);
}

bool exactMatch(const std::string& answer, const std::string& reference) {
  auto trimmed = [](const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    return first == std::string::npos ? std::string()
                                      : s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
  };
  return trimmed(answer) == trimmed(reference);
}

double perplexityFromLogProbs(const std::vector<double>& logProbs) {
  if (logProbs.empty()) return std::numeric_limits<double>::infinity();
  double sum = 0.0;
  for (double lp : logProbs) sum += lp;
  return std::exp(-sum / static_cast<double>(logProbs.size()));
}

}  // namespace distill
