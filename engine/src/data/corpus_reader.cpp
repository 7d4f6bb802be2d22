#include "data/corpus_reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "distill/errors.h"
#include "util/sha256.h"
#include "util/utf8.h"

namespace distill {

namespace fs = std::filesystem;

namespace {

constexpr size_t kReadBlock = 4 << 20;

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isJsonLinesName(const std::string& name) {
  return endsWith(name, ".jsonl") || endsWith(name, ".ndjson");
}

CorpusFile describeFile(const fs::path& path, const std::string& relative) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    throw EngineError("cannot read corpus file " + path.string() + ": " + std::strerror(errno));
  CorpusFile f;
  f.path = path.string();
  f.relative = relative;
  f.jsonLines = isJsonLinesName(path.filename().string());
  f.bytes = static_cast<int64_t>(info.st_size);
  f.modifiedNs = static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
  return f;
}

bool asciiSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }
bool asciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool cutsAt(const char* text, size_t size, size_t p) {
  return p >= 2 && p < size && text[p - 1] == '\n' && !asciiSpace(text[p - 2]) && asciiLetter(text[p]);
}

/// Throws EngineError naming the file and offset of a NUL byte or of invalid UTF-8 in
/// [text, text + size), which starts at byte `offset` of `path`.
void checkText(const char* text, size_t size, int64_t offset, const std::string& path) {
  if (const void* nul = std::memchr(text, '\0', size))
    throw EngineError("corpus looks binary (it contains NUL bytes at offset " +
                      std::to_string(offset + (static_cast<const char*>(nul) - text)) + "): " + path);
  const size_t bad = firstInvalidUtf8(text, size);
  if (bad < size)
    throw EngineError("corpus is not valid UTF-8 text (first bad byte at offset " +
                      std::to_string(offset + static_cast<int64_t>(bad)) + "): " + path);
}

/// The corpus digest from its files' digests: a single file's own; for a folder, the SHA-256 of
/// the lines "<relative path> <file digest>" in reading order.
std::string digestOfFiles(const std::vector<CorpusFile>& files, const std::vector<std::string>& fileDigests) {
  if (files.size() == 1 && files[0].relative.empty()) return fileDigests[0];
  std::string lines;
  for (size_t i = 0; i < files.size(); ++i) lines += files[i].relative + " " + fileDigests[i] + "\n";
  return sha256OfText(lines);
}

}  // namespace

std::string corpusDigest(const std::vector<CorpusFile>& files) {
  std::vector<std::string> fileDigests;
  for (const auto& f : files) fileDigests.push_back(sha256OfFile(f.path));
  return digestOfFiles(files, fileDigests);
}

std::vector<CorpusFile> corpusFiles(const std::string& corpus) {
  std::error_code ec;
  if (!fs::exists(corpus, ec)) throw EngineError("corpus not found: " + corpus);
  if (!fs::is_directory(corpus, ec)) return {describeFile(corpus, "")};
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(corpus, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && (endsWith(name, ".txt") || isJsonLinesName(name)))
      names.push_back(fs::relative(entry.path(), corpus).generic_string());
  }
  if (ec) throw EngineError("cannot list the corpus folder " + corpus + ": " + ec.message());
  if (names.empty()) throw EngineError("the corpus folder " + corpus + " holds no .txt or .jsonl files");
  std::sort(names.begin(), names.end());
  std::vector<CorpusFile> files;
  for (const auto& name : names) files.push_back(describeFile(fs::path(corpus) / name, name));
  return files;
}

size_t segmentCut(const char* text, size_t size, size_t limit) {
  // Why these places are safe: a byte-level BPE pre-tokenizer ends a whitespace run before a
  // non-space and never joins a newline to the letters after it; the newline before them follows
  // a non-space, so it is a piece of its own whether or not the text goes on. SentencePiece
  // splits pieces at whitespace, and a document that starts with a letter gets the same "▁" that
  // the newline would have given it. Characters are one token each.
  limit = std::min(limit, size);
  for (size_t p = limit; p >= 2; --p)
    if (cutsAt(text, size, p)) return p;
  for (size_t p = limit + 1; p < size; ++p)
    if (cutsAt(text, size, p)) return p;
  return 0;
}

struct CorpusReader::OpenFile {
  CorpusFile file;
  std::ifstream in;
  std::string pending;
  size_t consumed = 0;       ///< bytes of `pending` already emitted
  int64_t pendingStart = 0;  ///< file offset of pending[0]
  int64_t line = 1;          ///< JSON Lines: the line that starts at pending[consumed]
  bool started = false;      ///< a text file: its document has begun
  bool atEnd = false;
  Sha256 digest;
};

CorpusReader::CorpusReader(std::vector<CorpusFile> files, std::string textField, size_t segmentBytes)
    : m_files(std::move(files)), m_textField(std::move(textField)), m_segmentBytes(segmentBytes) {}

bool CorpusReader::openNextFile() {
  if (m_next >= m_files.size()) return false;
  m_open = std::make_shared<OpenFile>();
  m_open->file = m_files[m_next++];
  m_open->in.open(m_open->file.path, std::ios::binary);
  if (!m_open->in)
    throw EngineError("cannot read corpus file " + m_open->file.path + ": " + std::strerror(errno));
  return true;
}

void CorpusReader::readBlock() {
  OpenFile& f = *m_open;
  if (f.consumed > 0) {  // drop what was emitted before the buffer grows
    f.pending.erase(0, f.consumed);
    f.pendingStart += static_cast<int64_t>(f.consumed);
    f.consumed = 0;
  }
  const size_t old = f.pending.size();
  f.pending.resize(old + kReadBlock);
  f.in.read(&f.pending[old], static_cast<std::streamsize>(kReadBlock));
  const auto got = static_cast<size_t>(f.in.gcount());
  f.pending.resize(old + got);
  if (f.in.bad()) throw EngineError("error while reading corpus file " + f.file.path);
  f.digest.add(f.pending.data() + old, got);
  m_bytesRead += static_cast<int64_t>(got);
  f.atEnd = got < kReadBlock;
}

void CorpusReader::emitText(std::vector<TextSegment>& out, size_t& produced) {
  OpenFile& f = *m_open;
  while (f.consumed < f.pending.size()) {
    const char* data = f.pending.data() + f.consumed;
    const size_t size = f.pending.size() - f.consumed;
    size_t cut = size > m_segmentBytes ? segmentCut(data, size, m_segmentBytes) : 0;
    if (cut == 0) {
      if (!f.atEnd) return;  // read on: the segment ends further on
      cut = size;
    }
    checkText(data, cut, f.pendingStart + static_cast<int64_t>(f.consumed), f.file.path);
    out.push_back({std::string(data, cut), !f.started});
    f.started = true;
    f.consumed += cut;
    produced += cut;
  }
}

void CorpusReader::addDocument(const std::string& text, std::vector<TextSegment>& out, size_t& produced) {
  size_t from = 0;
  bool first = true;
  while (from < text.size()) {
    const size_t size = text.size() - from;
    size_t cut = size > m_segmentBytes ? segmentCut(text.data() + from, size, m_segmentBytes) : 0;
    if (cut == 0) cut = size;
    out.push_back({text.substr(from, cut), first});
    first = false;
    from += cut;
    produced += cut;
  }
}

void CorpusReader::emitJsonLines(std::vector<TextSegment>& out, size_t& produced) {
  OpenFile& f = *m_open;
  while (f.consumed < f.pending.size()) {
    size_t end = f.pending.find('\n', f.consumed);
    if (end == std::string::npos) {
      if (!f.atEnd) return;  // the line goes on in the next block
      end = f.pending.size();
    }
    const std::string line = f.pending.substr(f.consumed, end - f.consumed);
    const std::string where = f.file.path + ":" + std::to_string(f.line);
    f.consumed = std::min(end + 1, f.pending.size());
    ++f.line;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines separate nothing
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw EngineError(where + ": not a JSON record (" + e.what() + ")");
    }
    if (!record.is_object() || !record.contains(m_textField) || !record[m_textField].is_string())
      throw EngineError(where + ": no text field \"" + m_textField +
                        "\" (set data.text_field to the field that holds the text)");
    const std::string text = record[m_textField].get<std::string>();
    if (text.find('\0') != std::string::npos) throw EngineError(where + ": the text holds a NUL character");
    addDocument(text, out, produced);
  }
}

void CorpusReader::finishFile() {
  m_fileDigests.push_back(m_open->digest.hex());
  m_open.reset();
  if (m_fileDigests.size() == m_files.size()) m_digest = digestOfFiles(m_files, m_fileDigests);
}

bool CorpusReader::next(std::vector<TextSegment>& out, size_t budget) {
  const size_t before = out.size();
  size_t produced = 0;
  while (produced < budget) {
    if (!m_open && !openNextFile()) break;
    readBlock();
    if (m_open->file.jsonLines)
      emitJsonLines(out, produced);
    else
      emitText(out, produced);
    if (m_open->atEnd && m_open->consumed >= m_open->pending.size()) finishFile();
  }
  return out.size() > before;
}

}  // namespace distill
