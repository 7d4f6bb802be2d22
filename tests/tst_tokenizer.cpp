// Character tokenizer: round trips, unknown characters, invalid UTF-8.
#include <torch/torch.h>

#include <QtTest>

#include "distill/errors.h"
#include "tokenizers/tokenizer.h"
#include "util/utf8.h"

using namespace distill;

class TestTokenizer : public QObject {
  Q_OBJECT
private slots:
  void roundTrip_data() {
    QTest::addColumn<QString>("text");
    QTest::newRow("ascii") << "First Citizen:\nBefore we proceed any further, hear me speak.";
    QTest::newRow("tabs and spaces") << "a\tb  c \n\n d";
    QTest::newRow("non-ascii") << QString::fromUtf8("héllo wörld — 漢字 🙂");
  }
  void roundTrip() {
    QFETCH(QString, text);
    const std::string utf8 = text.toStdString();
    const auto tokenizer = CharTokenizer::fromText(utf8);
    QCOMPARE(QString::fromStdString(tokenizer.decode(tokenizer.encode(utf8))), text);
  }

  void idsFollowCodePointOrder() {
    const auto tokenizer = CharTokenizer::fromText("cab\n");
    QCOMPARE(tokenizer.vocabSize(), 4);
    const auto ids = tokenizer.encode("\nabc");
    QCOMPARE(ids, (std::vector<int64_t>{0, 1, 2, 3}));
  }

  void vocabularySurvivesSerialisation() {
    const auto tokenizer = CharTokenizer::fromText("zyx 漢🙂\n");
    const auto restored = CharTokenizer::fromVocabulary(tokenizer.vocabularyText());
    QVERIFY(restored == tokenizer);
  }

  void unknownCharacterIsNamed() {
    const auto tokenizer = CharTokenizer::fromText("abc");
    try {
      tokenizer.encode("abz");
      QFAIL("expected an error");
    } catch (const EngineError& e) {
      QVERIFY2(QString(e.what()).contains("'z'"), e.what());
    }
  }

  // Code points are named as Unicode writes them: hex, at least four digits.
  void unknownCharacterCodePointIsHex_data() {
    QTest::addColumn<QString>("character");
    QTest::addColumn<QString>("codePoint");
    QTest::newRow("CJK") << QString::fromUtf8("日") << "(U+65E5)";
    QTest::newRow("ASCII") << "z"
                           << "(U+007A)";
    QTest::newRow("astral") << QString::fromUtf8("😀") << "(U+1F600)";
  }
  void unknownCharacterCodePointIsHex() {
    QFETCH(QString, character);
    QFETCH(QString, codePoint);
    const auto tokenizer = CharTokenizer::fromText("abc");
    try {
      tokenizer.encode(character.toStdString());
      QFAIL("expected an error");
    } catch (const EngineError& e) {
      QVERIFY2(QString::fromUtf8(e.what()).contains(codePoint), e.what());
    }
  }

  void invalidUtf8IsRejectedWithOffset_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("offset");
    QTest::newRow("lone continuation") << QByteArray("ab\x80", 3) << 2;
    QTest::newRow("truncated sequence") << QByteArray("a\xe6\xbc", 3) << 1;
    QTest::newRow("overlong slash") << QByteArray("\xc0\xaf", 2) << 0;
    QTest::newRow("surrogate") << QByteArray("x\xed\xa0\x80", 4) << 1;
  }
  void invalidUtf8IsRejectedWithOffset() {
    QFETCH(QByteArray, bytes);
    QFETCH(int, offset);
    std::vector<char32_t> cps;
    size_t bad = 0;
    QVERIFY(!decodeUtf8(bytes.toStdString(), cps, bad));
    QCOMPARE(static_cast<int>(bad), offset);
    QVERIFY_THROWS_EXCEPTION(EngineError, CharTokenizer::fromText(bytes.toStdString()));
  }
};

QTEST_APPLESS_MAIN(TestTokenizer)
#include "tst_tokenizer.moc"
