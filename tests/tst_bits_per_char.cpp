// Bits per character: the validation loss that models with different tokenizers share.
#include <torch/torch.h>

#include <QtTest>
#include <cmath>

#include "tokenizers/tokenizer.h"
#include "train/bits_per_char.h"

using namespace distill;

namespace {

/// One batch whose targets are the rows' ids (x is not read).
Batch batchOf(const std::vector<std::vector<int64_t>>& rows, torch::Tensor mask = {}) {
  std::vector<int64_t> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  const auto y = torch::tensor(flat, torch::kInt64).view({static_cast<int64_t>(rows.size()), -1});
  return {torch::zeros_like(y), y, mask};
}

}  // namespace

class TestBitsPerChar : public QObject {
  Q_OBJECT
private slots:
  void aCharTokenizerHasOneCharacterPerToken() {
    // Also where a character is several UTF-8 bytes: characters, not bytes, are counted.
    const Tokenizer chars = CharTokenizer::fromText("aé€ b");
    const auto batch = batchOf({chars.encode("aé€ b"), chars.encode("€€ab ")});
    QCOMPARE(charactersPerToken({batch}, chars), 1.0);
    QCOMPARE(bitsPerCharacter(std::log(2.0) * 1.5, 1.0), 1.5);
  }

  void aBpeTokenizerSpreadsEachTokensBitsOverItsCharacters() {
    const Tokenizer bpe = Tokenizer::load(DISTILL_FIXTURES_DIR "/bpe512");
    const std::string first = "The quick brown fox", second = "jumps over the lazy dog";
    auto a = bpe.encode(first), b = bpe.encode(second);
    const auto tokens = static_cast<double>(a.size() + b.size());
    QVERIFY2(tokens < 42, "the fixture merges some characters");  // 19 + 23 characters
    const size_t width = std::min(a.size(), b.size());
    a.resize(width);
    b.resize(width);
    const double chars = static_cast<double>(bpe.decode(a).size() + bpe.decode(b).size());  // ASCII
    const double ratio = charactersPerToken({batchOf({a, b})}, bpe);
    QVERIFY2(std::abs(ratio - chars / (2.0 * static_cast<double>(width))) < 1e-12,
             qPrintable(QString::number(ratio)));
    QVERIFY(ratio > 1.0);
    // 2 nats per token over `ratio` characters per token.
    QVERIFY(std::abs(bitsPerCharacter(2.0, ratio) - 2.0 / std::log(2.0) / ratio) < 1e-12);
  }

  void onlyCountedTargetsCount() {
    // Prompt/response rows: the mask's response tokens alone.
    const Tokenizer bpe = Tokenizer::load(DISTILL_FIXTURES_DIR "/bpe512");
    auto prompt = bpe.encode("reverse this:"), answer = bpe.encode(" hello");
    std::vector<int64_t> row = prompt;
    row.insert(row.end(), answer.begin(), answer.end());
    auto mask = torch::zeros({1, static_cast<int64_t>(row.size())}, torch::kBool);
    mask.slice(1, static_cast<int64_t>(prompt.size())).fill_(true);
    const double ratio = charactersPerToken({batchOf({row}, mask)}, bpe);
    QVERIFY(std::abs(ratio - 6.0 / static_cast<double>(answer.size())) < 1e-12);
  }
};

QTEST_APPLESS_MAIN(TestBitsPerChar)
#include "tst_bits_per_char.moc"
