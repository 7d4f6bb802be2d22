// The SentencePiece plugin: the only code linked against libsentencepiece (see sentencepiece_plugin.h).
#include "tokenizers/sentencepiece_plugin.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

struct DistillSpModel {
  sentencepiece::SentencePieceProcessor processor;
};

namespace {

void setError(char* error, size_t errorSize, const std::string& message) {
  if (!error || errorSize == 0) return;
  const size_t n = std::min(errorSize - 1, message.size());
  std::memcpy(error, message.data(), n);
  error[n] = '\0';
}

long copyOut(const std::string& value, char* out, size_t capacity) {
  if (out) std::memcpy(out, value.data(), std::min(capacity, value.size()));
  return static_cast<long>(value.size());
}

}  // namespace

extern "C" {

DistillSpModel* distill_sp_load(const char* proto, size_t size, char* error, size_t errorSize) {
  auto* model = new DistillSpModel;
  const auto status = model->processor.LoadFromSerializedProto(std::string(proto, size));
  if (!status.ok()) {
    setError(error, errorSize, status.ToString());
    delete model;
    return nullptr;
  }
  return model;
}

void distill_sp_free(DistillSpModel* model) { delete model; }

int distill_sp_piece_count(const DistillSpModel* model) { return model->processor.GetPieceSize(); }

long distill_sp_encode(const DistillSpModel* model, const char* text, size_t size, int* ids, size_t capacity,
                       char* error, size_t errorSize) {
  std::vector<int> encoded;
  const auto status = model->processor.Encode(std::string(text, size), &encoded);
  if (!status.ok()) {
    setError(error, errorSize, status.ToString());
    return -1;
  }
  if (ids) std::copy_n(encoded.begin(), std::min(capacity, encoded.size()), ids);
  return static_cast<long>(encoded.size());
}

long distill_sp_decode(const DistillSpModel* model, const int* ids, size_t count, char* out, size_t capacity,
                       char* error, size_t errorSize) {
  std::string text;
  const auto status = model->processor.Decode(std::vector<int>(ids, ids + count), &text);
  if (!status.ok()) {
    setError(error, errorSize, status.ToString());
    return -1;
  }
  return copyOut(text, out, capacity);
}

long distill_sp_piece(const DistillSpModel* model, int id, char* out, size_t capacity) {
  return copyOut(model->processor.IdToPiece(id), out, capacity);
}

long distill_sp_proto(const DistillSpModel* model, char* out, size_t capacity) {
  return copyOut(model->processor.serialized_model_proto(), out, capacity);
}

int distill_sp_train(const char* arguments, char* error, size_t errorSize) {
  const auto status = sentencepiece::SentencePieceTrainer::Train(arguments);
  if (!status.ok()) {
    setError(error, errorSize, status.ToString());
    return 1;
  }
  return 0;
}

}  // extern "C"
