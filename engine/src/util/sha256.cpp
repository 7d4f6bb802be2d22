#include "util/sha256.h"

#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "distill/errors.h"

namespace distill {

namespace fs = std::filesystem;

Sha256::Sha256() : m_context(EVP_MD_CTX_new()) {
  if (!m_context || EVP_DigestInit_ex(m_context, EVP_sha256(), nullptr) != 1)
    throw EngineError("SHA-256: OpenSSL could not start a digest");
}

Sha256::~Sha256() { EVP_MD_CTX_free(m_context); }

void Sha256::add(const char* data, size_t size) { EVP_DigestUpdate(m_context, data, size); }

std::string Sha256::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(m_context, digest, &size);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string sha256OfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw EngineError("cannot read " + path + " to hash it");
  Sha256 digest;
  std::vector<char> chunk(1 << 20);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    digest.add(chunk.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw EngineError("error while reading " + path + " to hash it");
  return digest.hex();
}

std::string sha256OfText(const std::string& text) {
  Sha256 digest;
  digest.add(text.data(), text.size());
  return digest.hex();
}

std::string sha256OfFolder(const std::string& path) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(path, ec))
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), path));
  if (ec) throw EngineError("cannot list " + path + " to hash it: " + ec.message());
  std::sort(files.begin(), files.end());
  std::string lines;
  for (const auto& file : files)
    lines += file.generic_string() + " " + sha256OfFile((fs::path(path) / file).string()) + "\n";
  return sha256OfText(lines);
}

}  // namespace distill
