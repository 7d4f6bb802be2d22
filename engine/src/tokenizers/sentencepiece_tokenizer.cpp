#include "tokenizers/sentencepiece_tokenizer.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "distill/errors.h"
#include "tokenizers/sentencepiece_plugin.h"
#include "util/paths.h"
#include "util/utf8.h"

namespace distill {

namespace {

namespace fs = std::filesystem;

/// The plugin's functions, resolved once per process (read-only afterwards).
struct Plugin {
  std::string error;  ///< why it could not be loaded; empty when it was
  decltype(&distill_sp_load) load = nullptr;
  decltype(&distill_sp_free) free = nullptr;
  decltype(&distill_sp_piece_count) pieceCount = nullptr;
  decltype(&distill_sp_encode) encode = nullptr;
  decltype(&distill_sp_decode) decode = nullptr;
  decltype(&distill_sp_piece) piece = nullptr;
  decltype(&distill_sp_proto) proto = nullptr;
  decltype(&distill_sp_train) train = nullptr;
};

std::string pluginPath() {
  if (const char* path = std::getenv("DISTILL_SENTENCEPIECE_PLUGIN")) return path;
  std::error_code ec;
  const auto besideExecutable =
      fs::read_symlink("/proc/self/exe", ec).parent_path() / "libdistill_sentencepiece.so";
  if (!ec && fs::exists(besideExecutable)) return besideExecutable.string();
#ifdef DISTILL_SENTENCEPIECE_PLUGIN_PATH
  return DISTILL_SENTENCEPIECE_PLUGIN_PATH;
#else
  return "";
#endif
}

Plugin openPlugin() {
  Plugin p;
  const std::string path = pluginPath();
  if (path.empty()) {
    p.error = "this build has no SentencePiece support (install libsentencepiece-dev and rebuild)";
    return p;
  }
#ifdef DISTILL_SANITIZED
  p.error =
      "SentencePiece is not available in sanitizer builds (its plugin needs RTLD_DEEPBIND, which "
      "AddressSanitizer refuses)";
  return p;
#endif
  // RTLD_DEEPBIND: SentencePiece must bind to its own protobuf-lite, not LibTorch's libprotobuf.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (!handle) {
    p.error = std::string("cannot load the SentencePiece plugin: ") + ::dlerror();
    return p;
  }
  auto resolve = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(handle, name));
    if (!fn && p.error.empty()) p.error = path + ": no symbol " + name;
  };
  resolve(p.load, "distill_sp_load");
  resolve(p.free, "distill_sp_free");
  resolve(p.pieceCount, "distill_sp_piece_count");
  resolve(p.encode, "distill_sp_encode");
  resolve(p.decode, "distill_sp_decode");
  resolve(p.piece, "distill_sp_piece");
  resolve(p.proto, "distill_sp_proto");
  resolve(p.train, "distill_sp_train");
  return p;
}

const Plugin& plugin() {
  static const Plugin loaded = openPlugin();
  if (!loaded.error.empty()) throw EngineError(loaded.error);
  return loaded;
}

std::string toHex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

/// Calls `fill(buffer, capacity)` (which returns the full length) until the buffer holds it all.
template <class Fill>
std::string readString(Fill fill) {
  std::string out(256, '\0');
  long n = fill(&out[0], out.size());
  if (n > static_cast<long>(out.size())) {
    out.resize(static_cast<size_t>(n));
    n = fill(&out[0], out.size());
  }
  out.resize(static_cast<size_t>(std::max(0L, n)));
  return out;
}

class SentencePieceModel : public TokenizerModel {
public:
  SentencePieceModel(const std::string& proto, const std::string& source) : m_plugin(plugin()) {
    char error[512] = "";
    m_model = m_plugin.load(proto.data(), proto.size(), error, sizeof error);
    if (!m_model) throw EngineError(source + ": not a SentencePiece model (" + error + ")");
    m_pieces = m_plugin.pieceCount(m_model);
    for (int id = 0; id < m_pieces && m_endOfText < 0; ++id) {
      const auto piece =
          readString([&](char* out, size_t capacity) { return m_plugin.piece(m_model, id, out, capacity); });
      if (piece == "</s>") m_endOfText = id;
    }
  }
  ~SentencePieceModel() override { m_plugin.free(m_model); }
  SentencePieceModel(const SentencePieceModel&) = delete;
  SentencePieceModel& operator=(const SentencePieceModel&) = delete;

  std::vector<int64_t> encode(const std::string& text) const override {
    decodeUtf8OrThrow(text, "text");  // SentencePiece would take invalid bytes silently
    char error[512] = "";
    std::vector<int> ids(text.size() + 16);
    long n = m_plugin.encode(m_model, text.data(), text.size(), ids.data(), ids.size(), error, sizeof error);
    if (n > static_cast<long>(ids.size())) {
      ids.resize(static_cast<size_t>(n));
      n = m_plugin.encode(m_model, text.data(), text.size(), ids.data(), ids.size(), error, sizeof error);
    }
    if (n < 0) throw EngineError(std::string("SentencePiece could not encode the text: ") + error);
    return std::vector<int64_t>(ids.begin(), ids.begin() + n);
  }

  std::string decode(const std::vector<int64_t>& ids) const override {
    std::vector<int> known;
    known.reserve(ids.size());
    for (const auto id : ids)
      if (isKnown(id))
        known.push_back(static_cast<int>(id));  // padding ids beyond the tokenizer decode to nothing
    char error[512] = "";
    bool failed = false;
    auto text = readString([&](char* out, size_t capacity) {
      const long n = m_plugin.decode(m_model, known.data(), known.size(), out, capacity, error, sizeof error);
      failed = n < 0;
      return n;
    });
    if (failed) throw EngineError(std::string("SentencePiece could not decode the ids: ") + error);
    return replaceInvalidUtf8(text);
  }

  std::string decodeOne(int64_t id) const override {
    if (!isKnown(id)) return {};
    // The piece, with SentencePiece's word-boundary mark shown as the space it stands for.
    auto piece = readString([&](char* out, size_t capacity) {
      return m_plugin.piece(m_model, static_cast<int>(id), out, capacity);
    });
    for (size_t at = piece.find("\u2581"); at != std::string::npos; at = piece.find("\u2581", at + 1))
      piece.replace(at, 3, " ");
    return replaceInvalidUtf8(piece);
  }

  int64_t vocabSize() const override { return m_pieces; }
  int64_t endOfText() const override { return m_endOfText; }
  std::string kind() const override { return "sentencepiece"; }
  nlohmann::json toJson() const override {
    return {{"type", "sentencepiece"}, {"model_hex", toHex(proto())}};
  }
  bool saveFiles(const std::string& dir) const override {
    writeFileAtomically(dir + "/tokenizer.model", proto());
    return true;
  }

private:
  std::string proto() const {
    return readString([&](char* out, size_t capacity) { return m_plugin.proto(m_model, out, capacity); });
  }
  bool isKnown(int64_t id) const { return id >= 0 && id < m_pieces; }

  const Plugin& m_plugin;
  DistillSpModel* m_model = nullptr;
  int64_t m_pieces = 0;
  int64_t m_endOfText = -1;  ///< the </s> piece, when the model has one
};

}  // namespace

std::shared_ptr<const TokenizerModel> sentencePieceFromProto(const std::string& proto,
                                                             const std::string& source) {
  return std::make_shared<SentencePieceModel>(proto, source);
}

std::shared_ptr<const TokenizerModel> loadSentencePieceFile(const std::string& path) {
  return sentencePieceFromProto(readFile(path, "SentencePiece model"), path);
}

void trainSentencePieceModel(const std::string& arguments) {
  char error[1024] = "";
  if (plugin().train(arguments.c_str(), error, sizeof error) != 0)
    throw EngineError(std::string("SentencePiece training failed: ") + error);
}

}  // namespace distill
