#pragma once

// SHA-256 digests (OpenSSL's libcrypto) as lowercase hex: what a run records of the files it read.

#include <string>
#include <vector>

struct evp_md_ctx_st;

namespace distill {

/// A SHA-256 digest fed piece by piece (a file read in chunks, a corpus as it streams by).
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void add(const char* data, size_t size);
  /// The digest as lowercase hex; the object is spent.
  std::string hex();

private:
  evp_md_ctx_st* m_context;
};

/// The digest of a whole file, read in chunks; throws EngineError naming the file when it cannot.
std::string sha256OfFile(const std::string& path);
/// The digest of a text.
std::string sha256OfText(const std::string& text);
/// One digest of a folder's regular files (recursively): the SHA-256 of the lines
/// "<relative path> <file digest>" in path order, so a renamed, added or changed file changes it.
std::string sha256OfFolder(const std::string& path);

}  // namespace distill
