// The token cache: exactly the ids of encoding each document whole, whatever the thread count;
// rebuilt when the corpus or the tokenizer changes; never used half-written; folders and JSON
// Lines; bad input named with file and line or byte offset.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/torch.h>

#include <QtTest>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "data/corpus.h"
#include "data/token_cache.h"
#include "distill/errors.h"
#include "distill/model_info.h"
#include "distill/tokenizers.h"
#include "sentencepiece_guard.h"
#include "util/paths.h"

using namespace distill;
namespace fs = std::filesystem;

namespace {

const std::string kBpe512 = DISTILL_FIXTURES_DIR "/bpe512";

std::string shakespeare(size_t bytes = std::string::npos) {
  return readFile(bundledCorpusPath(), "corpus").substr(0, bytes);
}

void writeText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string readBytes(const std::string& path) { return readFile(path, "cache"); }

std::vector<int64_t> idsOf(const TokenCache& cache) {
  std::vector<int64_t> ids(static_cast<size_t>(cache.ids->size()));
  cache.ids->copy(0, cache.ids->size(), ids.data());
  return ids;
}

TokenCacheRequest requestFor(const std::string& corpus, const std::optional<Tokenizer>& tokenizer,
                             const std::string& cacheDir, int threads = 2, size_t segmentBytes = 4096) {
  TokenCacheRequest r;
  r.corpus = corpus;
  r.files = corpusFiles(corpus);
  r.textField = "text";
  r.tokenizer = tokenizer;
  r.tokenizerLabel = tokenizer ? "test" : "char";
  r.options.cacheDir = cacheDir;
  r.options.threads = threads;
  r.segmentBytes = segmentBytes;
  return r;
}

QString errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const EngineError& e) {
    return e.what();
  }
  return {};
}

Tokenizer trainedSentencePiece(const QTemporaryDir& dir) {
  const auto corpus = dir.filePath("sp-corpus.txt").toStdString();
  writeText(corpus, shakespeare(100000));
  TokenizerTrainingOptions options;
  options.kind = "sentencepiece";
  options.corpus = corpus;
  options.vocabSize = 400;
  options.outDir = dir.filePath("sp").toStdString();
  return Tokenizer::load(trainTokenizer(options).path);
}

}  // namespace

class TestTokenCache : public QObject {
  Q_OBJECT
private slots:
  void cacheHoldsTheIdsOfTheWholeText_data() {
    QTest::addColumn<QString>("kind");
    QTest::newRow("char") << "char";
    QTest::newRow("byte-level BPE") << "bpe";
    QTest::newRow("SentencePiece") << "sentencepiece";
  }
  void cacheHoldsTheIdsOfTheWholeText() {
    QFETCH(QString, kind);
    if (kind == "sentencepiece") SKIP_IN_SANITIZER_BUILDS();
    QTemporaryDir dir;
    const std::string text = shakespeare();
    std::optional<Tokenizer> tokenizer;
    if (kind == "bpe") tokenizer = Tokenizer::load(kBpe512);
    if (kind == "sentencepiece") tokenizer = trainedSentencePiece(dir);
    const Tokenizer reference = tokenizer ? *tokenizer : Tokenizer(CharTokenizer::fromText(text));
    // 4 KB segments: the corpus is cut in ~270 places, each one a chance to differ.
    const auto cache =
        loadTokenCache(requestFor(bundledCorpusPath(), tokenizer, dir.filePath("cache").toStdString()));
    QCOMPARE(idsOf(cache), reference.encode(text));
    QVERIFY(cache.tokenizer.toJson() == reference.toJson());
    QCOMPARE(cache.ids->width(), 2);
    QCOMPARE(cache.documentStarts, std::vector<int64_t>{0});
  }

  void threadCountDoesNotChangeTheCache() {
    QTemporaryDir dir;
    const auto one = loadTokenCache(
        requestFor(bundledCorpusPath(), Tokenizer::load(kBpe512), dir.filePath("a").toStdString(), 1));
    const auto three = loadTokenCache(
        requestFor(bundledCorpusPath(), Tokenizer::load(kBpe512), dir.filePath("b").toStdString(), 3));
    QVERIFY(!one.path.empty());
    QCOMPARE(readBytes(one.path), readBytes(three.path));
  }

  void secondLoadOpensTheCache() {
    QTemporaryDir dir;
    const auto request = requestFor(bundledCorpusPath(), std::nullopt, dir.filePath("cache").toStdString());
    QVERIFY(!loadTokenCache(request).reused);
    const auto again = loadTokenCache(request);
    QVERIFY(again.reused);
    QCOMPARE(idsOf(again), Tokenizer(CharTokenizer::fromText(shakespeare())).encode(shakespeare()));
  }

  void changedCorpusIsTokenizedAgain() {
    QTemporaryDir dir;
    const std::string corpus = dir.filePath("corpus.txt").toStdString();
    std::string text = shakespeare(20000);
    writeText(corpus, text);
    const std::string cacheDir = dir.filePath("cache").toStdString();
    loadTokenCache(requestFor(corpus, std::nullopt, cacheDir));
    // One byte, same size, and the old modification time: only the bytes tell.
    const auto time = fs::last_write_time(corpus);
    text[10000] = text[10000] == 'e' ? 'a' : 'e';
    writeText(corpus, text);
    fs::last_write_time(corpus, time + std::chrono::seconds(1));
    const auto rebuilt = loadTokenCache(requestFor(corpus, std::nullopt, cacheDir));
    QVERIFY(!rebuilt.reused);
    QCOMPARE(idsOf(rebuilt), rebuilt.tokenizer.encode(text));
    // Touched but not changed: the digest matches, the cache is kept.
    fs::last_write_time(corpus, time + std::chrono::seconds(5));
    QVERIFY(loadTokenCache(requestFor(corpus, std::nullopt, cacheDir)).reused);
  }

  void changedTokenizerIsTokenizedAgain() {
    QTemporaryDir dir;
    const std::string tokenizerDir = dir.filePath("tok").toStdString();
    fs::copy(kBpe512, tokenizerDir);
    fs::remove(tokenizerDir + "/tokenizer.json");  // so that vocab.json + merges.txt are what loads
    const std::string cacheDir = dir.filePath("cache").toStdString();
    auto request = requestFor(bundledCorpusPath(), Tokenizer::load(tokenizerDir), cacheDir);
    loadTokenCache(request);
    // Drop the last merge: the same path, another tokenizer.
    std::string merges = readFile(tokenizerDir + "/merges.txt", "merges");
    merges.erase(merges.find_last_of('\n', merges.size() - 2) + 1);
    writeText(tokenizerDir + "/merges.txt", merges);
    request.tokenizer = Tokenizer::load(tokenizerDir);
    const auto rebuilt = loadTokenCache(request);
    QVERIFY(!rebuilt.reused);
    QCOMPARE(idsOf(rebuilt), request.tokenizer->encode(shakespeare()));
  }

  void killedBuildLeavesNothingThatIsUsed() {
    QTemporaryDir dir;
    const std::string corpus = dir.filePath("corpus.txt").toStdString();
    std::string text;
    while (text.size() < (40u << 20)) text += shakespeare();
    writeText(corpus, text);
    const std::string cacheDir = dir.filePath("cache").toStdString();
    auto request = requestFor(corpus, std::nullopt, cacheDir, 1, 1 << 20);
    const pid_t child = fork();
    if (child == 0) {  // build, and die by SIGKILL halfway through tokenizing
      request.options.progress = [](const CorpusProgress& p) {
        if (p.stage == "tokenizing" && p.doneBytes * 2 > p.totalBytes) ::kill(::getpid(), SIGKILL);
      };
      try {
        loadTokenCache(request);
      } catch (...) {
      }
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    QVERIFY2(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the build was not killed halfway");
    bool partialLeft = false;
    for (const auto& entry : fs::directory_iterator(cacheDir)) {
      const std::string name = entry.path().filename().string();
      QVERIFY2(name.size() < 7 || name.substr(name.size() - 7) != ".tokens", name.c_str());  // no cache
      partialLeft = partialLeft || name.find(".partial") != std::string::npos;
    }
    QVERIFY(partialLeft);  // the kill really landed mid-write
    const auto cache = loadTokenCache(request);
    QVERIFY(!cache.reused);
    QCOMPARE(cache.ids->size(), static_cast<int64_t>(text.size()));
    for (const auto& entry : fs::directory_iterator(cacheDir))
      QVERIFY(entry.path().filename().string().find(".partial") == std::string::npos);
  }

  void cancelledPreparationStopsAndLeavesNoCache() {
    QTemporaryDir dir;
    auto request = requestFor(bundledCorpusPath(), Tokenizer::load(kBpe512),
                              dir.filePath("cache").toStdString(), 2, 1 << 20);
    int polls = 0;
    request.options.cancelled = [&polls] { return ++polls > 1; };  // the second look says stop
    const QString error = errorOf([&] { loadTokenCache(request); });
    QCOMPARE(error, QString("cancelled"));
    for (const auto& entry : fs::directory_iterator(dir.filePath("cache").toStdString()))
      QVERIFY2(entry.path().extension() != ".tokens" &&
                   entry.path().string().find(".partial") == std::string::npos,
               entry.path().c_str());
  }

  void cutCacheIsRebuilt() {
    QTemporaryDir dir;
    const auto request = requestFor(bundledCorpusPath(), std::nullopt, dir.filePath("cache").toStdString());
    const auto path = loadTokenCache(request).path;
    const std::string bytes = readBytes(path);
    writeText(path, bytes.substr(0, bytes.size() / 2));
    const auto cache = loadTokenCache(request);
    QVERIFY(!cache.reused);
    QCOMPARE(readBytes(path), bytes);
  }

  void foldersAndJsonLinesAreDocuments() {
    QTemporaryDir dir;
    const std::string root = dir.filePath("corpus").toStdString();
    writeText(root + "/b.txt", "Second file.");
    writeText(root + "/a.txt", "First file.");
    writeText(root + "/sub/c.jsonl", "{\"text\": \"Line one.\", \"id\": 1}\n\n{\"text\": \"Line two.\"}");
    writeText(root + "/notes.md", "not read");
    const auto tokenizer = Tokenizer::load(kBpe512);
    const auto cache = loadTokenCache(requestFor(root, tokenizer, dir.filePath("cache").toStdString()));
    std::vector<int64_t> expected;
    for (const char* doc : {"First file.", "Second file.", "Line one.", "Line two."}) {
      if (!expected.empty()) expected.push_back(tokenizer.endOfText());
      for (auto id : tokenizer.encode(doc)) expected.push_back(id);
    }
    QCOMPARE(idsOf(cache), expected);
    QCOMPARE(cache.documentStarts.size(), size_t(4));
    QCOMPARE(tokenizer.decodeOne(tokenizer.endOfText()), std::string("<|endoftext|>"));
  }

  void charDocumentsAreSeparatedByABlankLine() {
    QTemporaryDir dir;
    const std::string corpus = dir.filePath("docs.jsonl").toStdString();
    writeText(corpus, "{\"body\": \"ab\"}\n{\"body\": \"ba\"}\n");
    auto request = requestFor(corpus, std::nullopt, dir.filePath("cache").toStdString());
    request.textField = "body";
    const auto cache = loadTokenCache(request);
    QCOMPARE(cache.tokenizer.decode(idsOf(cache)), std::string("ab\n\nba"));
    QCOMPARE(cache.documentStarts, (std::vector<int64_t>{0, 4}));
  }

  void badInputIsNamedWithFileAndPlace_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("message");
    QTest::newRow("non-UTF-8 file among many") << "b.txt" << QByteArray("fine\nthen \xff here") << "b.txt";
    QTest::newRow("its offset") << "b.txt" << QByteArray("fine\nthen \xff here") << "offset 10";
    QTest::newRow("line without the field")
        << "c.jsonl" << QByteArray("{\"text\": \"ok\"}\n{\"title\": \"x\"}\n")
        << "c.jsonl:2: no text field \"text\"";
    QTest::newRow("line that is not JSON")
        << "c.jsonl" << QByteArray("{\"text\": \"ok\"}\n\n{oops\n") << "c.jsonl:3: not a JSON record";
    QTest::newRow("NUL byte") << "b.txt" << QByteArray("ab\0cd", 5) << "looks binary";
  }
  void badInputIsNamedWithFileAndPlace() {
    QFETCH(QString, file);
    QFETCH(QByteArray, bytes);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const std::string root = dir.filePath("corpus").toStdString();
    writeText(root + "/a.txt", "A good file.\n");
    writeText(root + "/" + file.toStdString(), bytes.toStdString());
    const QString error =
        errorOf([&] { loadTokenCache(requestFor(root, std::nullopt, dir.filePath("cache").toStdString())); });
    QVERIFY2(error.contains(message), qPrintable(error));
    QVERIFY(!fs::exists(dir.filePath("cache").toStdString()) ||
            std::none_of(fs::directory_iterator(dir.filePath("cache").toStdString()),
                         fs::directory_iterator(),
                         [](const fs::directory_entry& e) { return e.path().extension() == ".tokens"; }));
  }

  void emptyFolderIsRefused() {
    QTemporaryDir dir;
    fs::create_directories(dir.filePath("empty").toStdString());
    writeText(dir.filePath("empty/readme.md").toStdString(), "no text here");
    const QString error = errorOf([&] { corpusFiles(dir.filePath("empty").toStdString()); });
    QVERIFY2(error.contains("holds no .txt or .jsonl files"), qPrintable(error));
  }

  void documentSplitHoldsOutWholeDocumentsReproducibly() {
    QTemporaryDir dir;
    const std::string corpus = dir.filePath("docs.jsonl").toStdString();
    std::string lines;
    for (int i = 0; i < 200; ++i) lines += "{\"text\": \"document " + std::to_string(i) + " is here.\"}\n";
    writeText(corpus, lines);
    DataConfig data;
    data.corpus = corpus;
    data.block_size = 8;
    data.val_fraction = 0.2;
    data.val_split = ValSplit::Documents;
    CorpusOptions options;
    options.cacheDir = dir.filePath("cache").toStdString();
    const auto a = loadCorpus(data, nullptr, options), b = loadCorpus(data, nullptr, options);
    QVERIFY(b.facts.reusedCache);
    QVERIFY(torch::equal(a.val.all(), b.val.all()));
    const double share =
        static_cast<double>(a.val.size()) / static_cast<double>(a.val.size() + a.train.size());
    QVERIFY2(share > 0.1 && share < 0.3, qPrintable(QString::number(share)));
    // Whole documents: the validation text is a run of complete lines' texts.
    const auto valIds = a.val.all();
    const std::string val = a.tokenizer.decode(
        std::vector<int64_t>(valIds.data_ptr<int64_t>(), valIds.data_ptr<int64_t>() + valIds.numel()));
    QVERIFY2(val.rfind("document ", 0) == 0, val.c_str());
    data.corpus = bundledCorpusPath();
    const QString error = errorOf([&] { loadCorpus(data, nullptr, options); });
    QVERIFY2(error.contains("needs at least two documents"), qPrintable(error));
  }

  void batchesFromTheMappedCacheEqualBatchesFromMemory() {
    QTemporaryDir dir;
    DataConfig data;
    data.block_size = 32;
    CorpusOptions options;
    options.cacheDir = dir.filePath("cache").toStdString();
    const auto corpus = loadCorpus(data, nullptr, options);
    QVERIFY(!corpus.facts.cachePath.empty());
    BatchSampler mapped(corpus.train, 32, 16, 9), inMemory(corpus.train.all(), 32, 16, 9);
    for (int i = 0; i < 5; ++i) {
      const auto a = mapped.next(), b = inMemory.next();
      QVERIFY(torch::equal(a.x, b.x) && torch::equal(a.y, b.y));
    }
    // A stream over two ranges reads across the junction.
    TokenStream split(TokenIds::hold({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}), {{0, 3}, {6, 10}});
    QCOMPARE(split.size(), int64_t(7));
    QVERIFY(torch::equal(split.windows({1}, 4), torch::tensor({{1, 2, 6, 7}}, torch::kInt64)));
  }
};

QTEST_APPLESS_MAIN(TestTokenCache)
#include "tst_token_cache.moc"
