// Encoding and decoding throughput of each tokenizer kind on the bundled corpus (1.1 MB): what a
// run, and the form's corpus facts, spend before training starts.
//   build/bench/bench_tokenizer_speed [repeats]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "distill/tokenizers.h"
#include "tokenizers/tokenizer.h"
#include "util/paths.h"

using namespace distill;

namespace {

double seconds(const std::chrono::steady_clock::time_point& since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void measure(const char* name, const Tokenizer& tokenizer, const std::string& text, int repeats) {
  double best = 1e30, bestDecode = 1e30;
  size_t tokens = 0;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    const auto ids = tokenizer.encode(text);
    best = std::min(best, seconds(start));
    start = std::chrono::steady_clock::now();
    const auto back = tokenizer.decode(ids);
    bestDecode = std::min(bestDecode, seconds(start));
    tokens = ids.size();
    if (back != text) std::printf("%s: round trip differs!\n", name);
  }
  const double mb = static_cast<double>(text.size()) / 1e6;
  std::printf("%-28s %8zu tokens  encode %7.3f s (%6.1f MB/s)  decode %7.3f s (%6.1f MB/s)\n", name, tokens,
              best, mb / best, bestDecode, mb / bestDecode);
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 3;
  const std::string text = readFile(bundledCorpusPath(), "corpus");
  measure("char", CharTokenizer::fromText(text), text, repeats);
  measure("byte-level BPE (bpe512)", Tokenizer::load(DISTILL_PROJECT_DIR "/tests/fixtures/bpe512"), text,
          repeats);
  const auto dir = (std::filesystem::temp_directory_path() / "distill_bench_sp").string();
  TokenizerTrainingOptions options;
  options.kind = "sentencepiece";
  options.corpus = bundledCorpusPath();
  options.vocabSize = 512;
  options.outDir = dir;
  trainTokenizer(options);
  measure("SentencePiece BPE (512)", Tokenizer::load(dir), text, repeats);
  std::filesystem::remove_all(dir);
}
