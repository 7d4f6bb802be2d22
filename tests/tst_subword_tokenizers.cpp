// Byte-level BPE against the bpe512 fixture (made by Hugging Face tokenizers), SentencePiece
// through its plugin, tokenizer training, and what decoding does with bytes that are not UTF-8.
#include <torch/torch.h>

#include <QtTest>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include "sentencepiece_guard.h"

#include "distill/errors.h"
#include "distill/tokenizers.h"
#include "tokenizers/byte_level_bpe.h"
#include "tokenizers/tokenizer.h"
#include "tokenizers/tokenizer_training.h"
#include "util/utf8.h"

using namespace distill;

namespace {

const std::string kBpe512 = DISTILL_FIXTURES_DIR "/bpe512";

nlohmann::json fixtureEncodings() {
  std::ifstream in(kBpe512 + "/encodings.json");
  return nlohmann::json::parse(in);
}

/// Deterministic random valid UTF-8: ASCII, whitespace runs, accented and CJK letters, digits of
/// other scripts, emoji, apostrophes.
std::string randomText(std::mt19937& rng, int length) {
  static const std::vector<char32_t> pool = {'a',    'Z',     ' ',    ' ',  '\n',   '\t',     '\'',   's',
                                             '0',    '9',     '!',    '.',  0xE9,   0xDF,     0x65E5, 0x8A9E,
                                             0x0663, 0x1F600, 0x2014, 0xA0, 0x3000, 0x10FFFF, 0x7F,   0x1};
  std::string out;
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  for (int i = 0; i < length; ++i) appendUtf8(out, pool[pick(rng)]);
  return out;
}

std::string corpusHead(size_t bytes) {
  std::ifstream in(DISTILL_PROJECT_DIR "/resources/data/tinyshakespeare.txt", std::ios::binary);
  std::string text(bytes, '\0');
  in.read(&text[0], static_cast<std::streamsize>(bytes));
  return text;
}

}  // namespace

class TestSubwordTokenizers : public QObject {
  Q_OBJECT
private slots:
  void bpeMatchesTheReferenceEncodings_data() {
    QTest::addColumn<QString>("path");
    QTest::newRow("vocab.json + merges.txt") << QString::fromStdString(kBpe512);
    QTest::newRow("tokenizer.json") << QString::fromStdString(kBpe512 + "/tokenizer.json");
  }
  void bpeMatchesTheReferenceEncodings() {
    QFETCH(QString, path);
    const auto tokenizer = Tokenizer::load(path.toStdString());
    QCOMPARE(tokenizer.kind(), std::string("byte_level_bpe"));
    QCOMPARE(tokenizer.vocabSize(), 512);
    for (const auto& e : fixtureEncodings()) {
      const auto text = e["text"].get<std::string>();
      const auto expected = e["ids"].get<std::vector<int64_t>>();
      QCOMPARE(tokenizer.encode(text), expected);
      QCOMPARE(tokenizer.decode(expected), text);
    }
  }

  void bpeRoundTripsAnyValidUtf8() {
    const auto tokenizer = Tokenizer::load(kBpe512);
    std::mt19937 rng(7);
    for (int i = 0; i < 300; ++i) {
      const auto text = randomText(rng, 1 + i % 40);
      QCOMPARE(tokenizer.decode(tokenizer.encode(text)), text);
    }
  }

  void specialTokenIsMatchedWhole() {
    const auto tokenizer = Tokenizer::load(kBpe512);
    const auto ids = tokenizer.encode("a<|endoftext|>b");
    QCOMPARE(ids, (std::vector<int64_t>{65, 0, 66}));
    QCOMPARE(tokenizer.decode(ids), std::string("a<|endoftext|>b"));
  }

  void digitsSplitBeforeTheByteLevelPattern() {
    // Sequence[Digits(individual_digits), ByteLevel] (StarCoder, SmolLM2): every digit is its own
    // piece, GPT-2's pattern runs on the stretches between.
    std::ifstream in(kBpe512 + "/tokenizer.json");
    auto j = nlohmann::json::parse(in);
    j["pre_tokenizer"] = {
        {"type", "Sequence"},
        {"pretokenizers", {{{"type", "Digits"}, {"individual_digits", true}}, j["pre_tokenizer"]}}};
    QTemporaryDir dir;
    std::ofstream(dir.filePath("tokenizer.json").toStdString()) << j.dump();
    const auto digits = Tokenizer::load(dir.path().toStdString());
    const auto plain = Tokenizer::load(kBpe512);
    std::vector<int64_t> expected;
    for (const char* stretch : {"numbers ", "1", "2", "3", "4", "5", " and ", "3", ".", "1", "4"}) {
      const auto ids = plain.encode(stretch);
      expected.insert(expected.end(), ids.begin(), ids.end());
    }
    QCOMPARE(digits.encode("numbers 12345 and 3.14"), expected);
    // The fixture has no digit merges; a vocabulary that does shows the split.
    std::string numbers;
    for (int i = 0; i < 50; ++i) numbers += "1212 ";
    auto merged = trainByteLevelBpe(numbers, 262).toJson();
    const auto mergesDigits = Tokenizer::fromJson(merged);
    merged["split_digits"] = true;
    QVERIFY(mergesDigits.encode("1212").size() < 4);
    QCOMPARE(Tokenizer::fromJson(merged).encode("1212").size(), size_t(4));
    QCOMPARE(digits.decode(expected), std::string("numbers 12345 and 3.14"));
    // Saved and embedded forms keep the digit rule.
    QTemporaryDir saved;
    QVERIFY(digits.saveFiles(saved.path().toStdString()));
    QCOMPARE(Tokenizer::load(saved.path().toStdString()).encode("a 2024"), digits.encode("a 2024"));
    QCOMPARE(Tokenizer::fromJson(digits.toJson()).encode("a 2024"), digits.encode("a 2024"));
  }

  void invalidUtf8IsAnErrorOnEncode() {
    const auto tokenizer = Tokenizer::load(kBpe512);
    try {
      tokenizer.encode("ok\xff");
      QFAIL("no error");
    } catch (const EngineError& e) {
      QVERIFY2(QString(e.what()).contains("UTF-8") && QString(e.what()).contains("offset 2"), e.what());
    }
  }

  void decodingHalfACharacterGivesReplacementCharacters() {
    const auto tokenizer = Tokenizer::load(kBpe512);
    auto ids = tokenizer.encode("\xF0\x9F\x98\x80");  // 😀: one token per byte in this small vocabulary
    QVERIFY(ids.size() >= 2);
    ids.pop_back();
    const auto text = tokenizer.decode(ids);
    QVERIFY(text.find("\xEF\xBF\xBD") != std::string::npos);  // U+FFFD
    std::vector<char32_t> cps;
    size_t bad = 0;
    QVERIFY(decodeUtf8(text, cps, bad));
    QCOMPARE(tokenizer.decode({999999}), std::string());  // ids past the tokenizer decode to nothing
  }

  void embeddedTokenizerRebuildsTheSame() {
    const auto tokenizer = Tokenizer::load(kBpe512);
    const auto restored = Tokenizer::fromJson(nlohmann::json::parse(tokenizer.toJson().dump()));
    const std::string text = "First Citizen:\nBefore we proceed any further, hear me speak. 日本語";
    QCOMPARE(restored.encode(text), tokenizer.encode(text));
  }

  void malformedTokenizerFilesAreNamed_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");
    QTest::newRow("vocab not json") << "vocab.json" << QByteArray("{oops") << "not valid JSON";
    QTest::newRow("vocab id not a number") << "vocab.json" << QByteArray(R"({"a": "x"})") << "'a'";
    QTest::newRow("merge of unknown tokens")
        << "merges.txt" << QByteArray("#version: 0.2\nqq zz\n") << "merge 1";
    QTest::newRow("merge without space") << "merges.txt" << QByteArray("abc\n") << "two tokens";
  }
  void malformedTokenizerFilesAreNamed() {
    QFETCH(QString, file);
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    for (const char* name : {"vocab.json", "merges.txt"})
      QVERIFY(QFile::copy(QString::fromStdString(kBpe512 + "/" + name), dir.filePath(name)));
    QFile f(dir.filePath(file));
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(content);
    f.close();
    try {
      Tokenizer::load(dir.path().toStdString());
      QFAIL("no error");
    } catch (const EngineError& e) {
      QVERIFY2(QString(e.what()).contains(expected) && QString(e.what()).contains(file), e.what());
    }
  }

  void bpeTrainingLearnsMergesAndRoundTrips() {
    const std::string text = corpusHead(60000);
    const auto bpe = trainByteLevelBpe(text, 400);
    QCOMPARE(bpe.vocabSize(), 400);
    QCOMPARE(static_cast<int>(bpe.merges().size()), 400 - 257);
    // The first merge is the most frequent pair: in English prose, a space before a letter.
    QVERIFY2(bpe.merges().front().rfind("\xC4\xA0", 0) == 0, bpe.merges().front().c_str());  // "Ġ"
    const auto ids = bpe.encode(text);
    QVERIFY2(ids.size() * 3 < text.size() * 2,
             qPrintable(QString("%1 ids for %2 bytes").arg(ids.size()).arg(text.size())));  // merges compress
    QCOMPARE(bpe.decode(ids), text);
  }

  void trainedTokenizersLoadFromTheirFolder_data() {
    QTest::addColumn<QString>("kind");
    QTest::newRow("bpe") << "bpe";
    QTest::newRow("sentencepiece") << "sentencepiece";
  }
  void trainedTokenizersLoadFromTheirFolder() {
    QFETCH(QString, kind);
    if (kind == "sentencepiece") SKIP_IN_SANITIZER_BUILDS();
    QTemporaryDir dir;
    const auto corpus = dir.filePath("corpus.txt").toStdString();
    std::ofstream(corpus, std::ios::binary) << corpusHead(100000);
    TokenizerTrainingOptions options;
    options.kind = kind.toStdString();
    options.corpus = corpus;
    options.vocabSize = 400;
    options.outDir = dir.filePath("tok").toStdString();
    const auto result = trainTokenizer(options);
    QVERIFY(result.vocabSize <= 400 && result.vocabSize > 257);
    QVERIFY(result.corpusTokens < result.corpusBytes);
    const auto tokenizer = Tokenizer::load(result.path);
    QCOMPARE(tokenizer.kind(), kind == "bpe" ? std::string("byte_level_bpe") : std::string("sentencepiece"));
    // Exact round trips, also for what the corpus never showed (byte fallback for SentencePiece).
    std::mt19937 rng(3);
    for (int i = 0; i < 100; ++i) {
      const auto text = randomText(rng, 1 + i % 30);
      QCOMPARE(tokenizer.decode(tokenizer.encode(text)), text);
    }
    const auto restored = Tokenizer::fromJson(tokenizer.toJson());
    QCOMPARE(restored.encode("  Leading spaces,\n\ttabs"), tokenizer.encode("  Leading spaces,\n\ttabs"));
    QCOMPARE(tokenizeText(result.path, "ROMEO:").size(), tokenizer.encode("ROMEO:").size());
  }

  void notATokenizerIsAClearError() {
    QTemporaryDir dir;
    QVERIFY_THROWS_EXCEPTION(EngineError, Tokenizer::load(dir.path().toStdString()));
    SKIP_IN_SANITIZER_BUILDS();
    std::ofstream(dir.filePath("x.model").toStdString()) << "not a protobuf";
    try {
      Tokenizer::load(dir.filePath("x.model").toStdString());
      QFAIL("no error");
    } catch (const EngineError& e) {
      QVERIFY2(QString(e.what()).contains("x.model"), e.what());
    }
  }
};

QTEST_APPLESS_MAIN(TestSubwordTokenizers)
#include "tst_subword_tokenizers.moc"
