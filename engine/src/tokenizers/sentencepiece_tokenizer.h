#pragma once

// SentencePiece models (.model files, as Llama-family checkpoints ship them) through Debian's
// libsentencepiece, reached through a plugin (see sentencepiece_plugin.h for why). Without the
// plugin (a build without libsentencepiece, e.g. on a GPU server) loading one is a clear error.

#include <memory>
#include <string>

#include "tokenizers/tokenizer.h"

namespace distill {

/// Reads a .model file. Throws EngineError naming the file when it is not a SentencePiece model.
std::shared_ptr<const TokenizerModel> loadSentencePieceFile(const std::string& path);
/// From the serialized model proto (what the checkpoint embeds).
std::shared_ptr<const TokenizerModel> sentencePieceFromProto(const std::string& serializedProto,
                                                             const std::string& source);

/// SentencePieceTrainer::Train with command-line style arguments. Throws EngineError.
void trainSentencePieceModel(const std::string& arguments);

}  // namespace distill
