#pragma once

// Reading a corpus of any size as a stream of text segments, with bounded memory: a text file (one
// document), a folder of .txt files (one document each) and .jsonl files, or a JSON Lines file (one
// document per line). Every byte is checked on the way (UTF-8, no NUL, JSON fields) and an error
// names the file and the line or byte offset. Long documents are cut at places where every
// tokenizer here would split anyway, so encoding the segments one by one gives exactly the ids
// of encoding each document whole.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace distill {

struct CorpusFile {
  std::string path;      ///< as opened
  std::string relative;  ///< inside the corpus folder ("" for a single file)
  bool jsonLines = false;
  int64_t bytes = 0;
  int64_t modifiedNs = 0;  ///< modification time, nanoseconds since the epoch
};

/// The files `corpus` (a file or a folder) stands for, in reading order (a folder: its .txt and
/// .jsonl files, recursively, in path order). Throws EngineError for a missing path or a folder
/// without such files.
std::vector<CorpusFile> corpusFiles(const std::string& corpus);

/// A piece of one document's text.
struct TextSegment {
  std::string text;
  bool startsDocument = false;
};

class CorpusReader {
public:
  CorpusReader(std::vector<CorpusFile> files, std::string textField, size_t segmentBytes = 1 << 20);

  /// Appends segments holding about `budget` bytes of text (at least one segment); false when the
  /// corpus is exhausted and nothing was appended. Throws EngineError naming file and position.
  bool next(std::vector<TextSegment>& out, size_t budget);
  /// Raw bytes read so far (for progress).
  int64_t bytesRead() const { return m_bytesRead; }
  /// After the end: the corpus digest. A single file: the SHA-256 of its bytes; a folder: the
  /// SHA-256 of the lines "<relative path> <file digest>" in reading order (what a run records).
  std::string digest() const { return m_digest; }

private:
  bool openNextFile();
  void readBlock();
  void emitText(std::vector<TextSegment>& out, size_t& produced);
  void emitJsonLines(std::vector<TextSegment>& out, size_t& produced);
  void addDocument(const std::string& text, std::vector<TextSegment>& out, size_t& produced);
  void finishFile();

  std::vector<CorpusFile> m_files;
  std::string m_textField;
  size_t m_segmentBytes;
  size_t m_next = 0;  ///< index of the next file to open
  struct OpenFile;    // the file being read
  std::shared_ptr<OpenFile> m_open;
  int64_t m_bytesRead = 0;
  std::vector<std::string> m_fileDigests;  ///< SHA-256 of each finished file
  std::string m_digest;
};

/// Where a document of `text` may be cut (at most `limit` bytes in) so that tokenizing the two
/// parts apart gives the ids of tokenizing it whole: just after a newline that follows a
/// non-space character and precedes an ASCII letter. 0 when there is no such place.
size_t segmentCut(const char* text, size_t size, size_t limit);

/// CorpusReader::digest() of `files` without reading them as a corpus (no parsing, no checks).
std::string corpusDigest(const std::vector<CorpusFile>& files);

}  // namespace distill
