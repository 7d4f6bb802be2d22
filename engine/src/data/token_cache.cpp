#include "data/token_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "distill/errors.h"
#include "util/paths.h"
#include "util/sha256.h"
#include "util/utf8.h"

namespace distill {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr int kCacheFormat = 1;
constexpr char kCacheMagic[8] = {'D', 'S', 'T', 'L', 'T', 'O', 'K', '1'};
constexpr size_t kTrailerBytes = 24;
constexpr size_t kBatchBytes = 16 << 20;  ///< text encoded per round: bounds the memory in flight

/// An exclusive flock on `<cache>.lock`: one builder per cache across threads and processes.
class TokenCacheLock {
public:
  explicit TokenCacheLock(const std::string& path)
      : m_fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (m_fd < 0)
      throw EngineError("cannot create the token cache lock " + path + ": " + std::strerror(errno));
    while (::flock(m_fd, LOCK_EX) != 0)
      if (errno != EINTR) throw EngineError("cannot lock " + path + ": " + std::strerror(errno));
  }
  ~TokenCacheLock() { ::close(m_fd); }  // closing releases the lock
  TokenCacheLock(const TokenCacheLock&) = delete;
  TokenCacheLock& operator=(const TokenCacheLock&) = delete;

private:
  int m_fd;
};

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Json filesJson(const std::vector<CorpusFile>& files) {
  Json list = Json::array();
  for (const auto& f : files)
    list.push_back({{"relative", f.relative}, {"bytes", f.bytes}, {"modified_ns", f.modifiedNs}});
  return list;
}

int64_t totalBytes(const std::vector<CorpusFile>& files) {
  int64_t total = 0;
  for (const auto& f : files) total += f.bytes;
  return total;
}

Json cacheKey(const TokenCacheRequest& r) {
  return {{"format", kCacheFormat},
          {"corpus", fs::absolute(r.corpus).lexically_normal().string()},
          {"text_field", r.textField},
          {"tokenizer", r.tokenizerLabel}};
}

/// Progress, and the point where a cancelled preparation stops.
void report(const TokenCacheRequest& r, const char* stage, int64_t done) {
  if (r.options.cancelled && r.options.cancelled()) throw EngineError("cancelled");
  if (r.options.progress) r.options.progress({stage, done, totalBytes(r.files)});
}

/// A char tokenizer with every character of the corpus (a streaming pass), plus the newline that
/// separates documents when there are several.
Tokenizer scanCharacters(const TokenCacheRequest& r) {
  CorpusReader reader(r.files, r.textField, r.segmentBytes);
  std::vector<TextSegment> segments;
  bool ascii[128] = {};
  std::set<char32_t> others;
  int64_t documents = 0;
  while (reader.next(segments, kBatchBytes)) {
    for (const auto& s : segments) {
      documents += s.startsDocument ? 1 : 0;
      for (const char32_t cp : decodeUtf8OrThrow(s.text, "corpus " + r.corpus)) {
        if (cp < 128)
          ascii[cp] = true;
        else
          others.insert(cp);
      }
    }
    segments.clear();
    report(r, "scanning characters", reader.bytesRead());
  }
  if (documents > 1) ascii[static_cast<int>('\n')] = true;
  std::string chars;
  for (int c = 0; c < 128; ++c)
    if (ascii[c]) chars += static_cast<char>(c);
  for (const char32_t cp : others) appendUtf8(chars, cp);
  return CharTokenizer::fromText(chars);
}

std::vector<int64_t> documentSeparator(const Tokenizer& tokenizer) {
  // A tokenizer with an end-of-text token puts it between documents; a char tokenizer (none) puts
  // a blank line, as text.
  if (tokenizer.endOfText() >= 0) return {tokenizer.endOfText()};
  return tokenizer.encode("\n\n");
}

/// Appends ids of `width` bytes to the file being written.
class IdWriter {
public:
  IdWriter(const std::string& path, int width)
      : m_out(path, std::ios::binary | std::ios::trunc), m_path(path), m_width(width) {
    if (!m_out) throw EngineError("cannot write the token cache " + path + ": " + std::strerror(errno));
  }
  template <class Ids>
  void append(const Ids& ids) {
    m_buffer.clear();
    m_buffer.resize(ids.size() * static_cast<size_t>(m_width));
    for (size_t i = 0; i < ids.size(); ++i) {
      const auto v = static_cast<uint32_t>(ids[i]);
      if (m_width == 2) {
        const auto narrow = static_cast<uint16_t>(v);
        std::memcpy(&m_buffer[i * 2], &narrow, 2);
      } else {
        std::memcpy(&m_buffer[i * 4], &v, 4);
      }
    }
    write(m_buffer.data(), m_buffer.size());
    m_count += static_cast<int64_t>(ids.size());
  }
  void write(const void* data, size_t size) {
    m_out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    m_offset += static_cast<int64_t>(size);
    if (!m_out) throw EngineError("cannot write the token cache " + m_path + ": " + std::strerror(errno));
  }
  void padTo(int64_t alignment) {
    const std::string zeros(static_cast<size_t>((alignment - m_offset % alignment) % alignment), '\0');
    write(zeros.data(), zeros.size());
  }
  void close() {
    m_out.flush();
    m_out.close();
    if (!m_out) throw EngineError("cannot write the token cache " + m_path + ": " + std::strerror(errno));
  }
  int64_t count() const { return m_count; }
  int64_t offset() const { return m_offset; }

private:
  std::ofstream m_out;
  std::string m_path;
  int m_width;
  int64_t m_count = 0, m_offset = 0;
  std::vector<char> m_buffer;
};

void syncFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// Tokenizes the corpus into `partial` and returns the header it ends with.
Json writeCache(const TokenCacheRequest& r, const Tokenizer& tokenizer, const std::string& partial,
                bool durable) {
  const int width = tokenizer.vocabSize() <= 65536 ? 2 : 4;
  std::vector<int64_t> separator;  // known once a second document comes (a char vocabulary may lack it)
  const int threads = r.options.threads > 0
                          ? r.options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  IdWriter writer(partial, width);
  std::vector<uint64_t> starts;
  CorpusReader reader(r.files, r.textField, r.segmentBytes);
  std::vector<TextSegment> segments;
  while (reader.next(segments, kBatchBytes)) {
    const auto ids = encodeSegments(tokenizer, segments, threads, r.options.cancelled);
    for (size_t i = 0; i < segments.size(); ++i) {
      if (segments[i].startsDocument) {
        if (!starts.empty() && separator.empty()) separator = documentSeparator(tokenizer);
        if (!starts.empty()) writer.append(separator);
        starts.push_back(static_cast<uint64_t>(writer.count()));
      }
      writer.append(ids[i]);
    }
    segments.clear();
    report(r, "tokenizing", reader.bytesRead());
  }
  if (writer.count() == 0) throw EngineError("corpus is empty: " + r.corpus);
  const int64_t tokens = writer.count();
  writer.padTo(8);
  const int64_t documentsOffset = writer.offset();
  writer.write(starts.data(), starts.size() * sizeof(uint64_t));
  const Json header = {
      {"format", kCacheFormat},
      {"key", cacheKey(r)},
      {"corpus", {{"sha256", reader.digest()}, {"bytes", reader.bytesRead()}, {"files", filesJson(r.files)}}},
      {"tokenizer", tokenizer.toJson()},
      {"tokenizer_sha256", sha256OfText(tokenizer.toJson().dump())},
      {"id_bytes", width},
      {"tokens", tokens},
      {"documents", starts.size()},
      {"documents_offset", documentsOffset},
      {"separator", separator}};
  const std::string text = header.dump();
  const auto headerOffset = static_cast<uint64_t>(writer.offset());
  const auto headerLength = static_cast<uint64_t>(text.size());
  writer.write(text.data(), text.size());
  writer.write(&headerOffset, 8);
  writer.write(&headerLength, 8);
  writer.write(kCacheMagic, sizeof kCacheMagic);
  writer.close();
  if (durable) syncFile(partial);
  return header;
}

/// The header of a complete cache file; nullopt for a missing, cut or foreign file.
std::optional<Json> readHeader(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  const auto size = static_cast<uint64_t>(in.tellg());
  if (size < kTrailerBytes) return std::nullopt;
  char trailer[kTrailerBytes];
  in.seekg(static_cast<std::streamoff>(size - kTrailerBytes));
  in.read(trailer, kTrailerBytes);
  uint64_t offset = 0, length = 0;
  std::memcpy(&offset, trailer, 8);
  std::memcpy(&length, trailer + 8, 8);
  if (!in || std::memcmp(trailer + 16, kCacheMagic, 8) != 0 || offset + length + kTrailerBytes != size)
    return std::nullopt;
  std::string text(length, '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(&text[0], static_cast<std::streamsize>(length));
  const Json header = Json::parse(text, nullptr, false);
  if (!in || header.is_discarded() || header.value("format", 0) != kCacheFormat) return std::nullopt;
  return header;
}

/// Whether the header describes this request's corpus and tokenizer as they are now.
bool isCurrent(const Json& header, const TokenCacheRequest& r) {
  if (header.at("key") != cacheKey(r)) return false;
  if (r.tokenizer && header.at("tokenizer_sha256") != sha256OfText(r.tokenizer->toJson().dump()))
    return false;
  const Json& saved = header.at("corpus").at("files");
  const Json now = filesJson(r.files);
  if (saved == now) return true;
  // Same names and sizes but other times (a copy, a touch): the bytes decide.
  if (saved.size() != now.size()) return false;
  for (size_t i = 0; i < now.size(); ++i)
    if (saved[i].at("relative") != now[i].at("relative") || saved[i].at("bytes") != now[i].at("bytes"))
      return false;
  return header.at("corpus").at("sha256") == corpusDigest(r.files);
}

TokenCache openCache(const std::string& path, const Json& header) {
  TokenCache cache;
  cache.path = path;
  cache.tokenizer = Tokenizer::fromJson(header.at("tokenizer"));
  cache.digest = header.at("corpus").at("sha256").get<std::string>();
  cache.bytes = header.at("corpus").at("bytes").get<int64_t>();
  cache.ids = TokenIds::map(path, 0, header.at("tokens").get<int64_t>(), header.at("id_bytes").get<int>());
  const auto documents = header.at("documents").get<size_t>();
  std::vector<uint64_t> starts(documents);
  std::ifstream in(path, std::ios::binary);
  in.seekg(header.at("documents_offset").get<std::streamoff>());
  in.read(reinterpret_cast<char*>(starts.data()), static_cast<std::streamsize>(documents * sizeof(uint64_t)));
  if (!in) throw EngineError("the token cache " + path + " is damaged (its document index cannot be read)");
  cache.documentStarts.assign(starts.begin(), starts.end());
  return cache;
}

std::string cachePathFor(const TokenCacheRequest& r) {
  return (fs::path(r.options.cacheDir) / (sha256OfText(cacheKey(r).dump()).substr(0, 24) + ".tokens"))
      .string();
}

/// Builds the cache at `path` (through `path.partial`, renamed into place) and opens it. A durable
/// one (not temporary) is synced to disk before the rename, so a power loss leaves no torn cache.
TokenCache buildCache(const TokenCacheRequest& r, const std::string& path, bool durable) {
  const auto start = std::chrono::steady_clock::now();
  const std::string partial = path + ".partial";
  fs::remove(partial);  // what a killed build left
  try {
    const Tokenizer tokenizer = r.tokenizer ? *r.tokenizer : scanCharacters(r);
    const Json header = writeCache(r, tokenizer, partial, durable);
    fs::rename(partial, path);
    if (durable) syncDirectory(fs::path(path).parent_path().string());
    TokenCache cache = openCache(path, header);
    cache.seconds = secondsSince(start);
    return cache;
  } catch (...) {
    std::error_code ignored;
    fs::remove(partial, ignored);
    throw;
  }
}

std::string temporaryCacheFolder() {
  std::random_device entropy;
  const auto dir = fs::temp_directory_path() /
                   ("distill-tokens-" + std::to_string(::getpid()) + "-" + std::to_string(entropy()));
  fs::create_directories(dir);
  return dir.string();
}

/// No cache folder: tokenize into a temporary cache, map it, delete the file (the mapping stays).
TokenCache loadTemporaryCache(const TokenCacheRequest& request) {
  TokenCacheRequest temporary = request;
  temporary.options.cacheDir = temporaryCacheFolder();
  TokenCache cache;
  try {
    cache = buildCache(temporary, cachePathFor(temporary), false);
  } catch (...) {
    fs::remove_all(temporary.options.cacheDir);
    throw;
  }
  fs::remove_all(temporary.options.cacheDir);
  cache.path.clear();
  return cache;
}

}  // namespace

std::vector<std::vector<uint32_t>> encodeSegments(const Tokenizer& tokenizer,
                                                  const std::vector<TextSegment>& segments, int threads,
                                                  const std::function<bool()>& cancelled) {
  std::vector<std::vector<uint32_t>> ids(segments.size());
  std::vector<std::exception_ptr> errors(segments.size());
  std::atomic<size_t> nextSegment{0};
  auto work = [&] {
    for (size_t i = nextSegment++; i < segments.size(); i = nextSegment++) {
      if (cancelled && cancelled()) {
        errors[i] = std::make_exception_ptr(EngineError("cancelled"));
        continue;
      }
      try {
        const auto encoded = tokenizer.encode(segments[i].text);
        ids[i].assign(encoded.begin(), encoded.end());
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  const int helpers = std::min(threads, static_cast<int>(segments.size())) - 1;
  for (int t = 0; t < helpers; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (const auto& e : errors)  // the first failing segment's error, whatever the thread count
    if (e) std::rethrow_exception(e);
  return ids;
}

TokenCache loadTokenCache(const TokenCacheRequest& request) {
  if (request.options.cacheDir.empty()) return loadTemporaryCache(request);
  const auto start = std::chrono::steady_clock::now();
  const std::string path = cachePathFor(request);
  std::unique_ptr<TokenCacheLock> lock;
  try {
    std::error_code ec;
    fs::create_directories(request.options.cacheDir, ec);
    if (ec) throw EngineError("cannot create " + request.options.cacheDir + ": " + ec.message());
    lock = std::make_unique<TokenCacheLock>(path + ".lock");
  } catch (const EngineError& e) {
    // A read-only folder: the run can still train, only not keep the tokens for the next one.
    TokenCache cache = loadTemporaryCache(request);
    cache.note =
        std::string("the token cache folder is not writable (") + e.what() + "): tokenized for this run only";
    return cache;
  }
  if (const auto header = readHeader(path); header && isCurrent(*header, request)) {
    TokenCache cache = openCache(path, *header);
    cache.reused = true;
    cache.seconds = secondsSince(start);
    return cache;
  }
  return buildCache(request, path, true);
}

}  // namespace distill
