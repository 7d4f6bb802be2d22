#pragma once

/* The C interface of the SentencePiece plugin (libdistill_sentencepiece.so).
 *
 * Why a plugin: Debian's libsentencepiece carries its own copy of protobuf-lite and exports its
 * symbols, while LibTorch loads the full libprotobuf; in one link map the two interpose and the
 * process crashes while loading. The engine therefore dlopens this plugin with RTLD_DEEPBIND, so
 * SentencePiece binds to its own protobuf, and talks to it through these plain C functions. */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct DistillSpModel DistillSpModel;

/* Errors: functions that can fail write a message into `error` (at most errorSize bytes). */
DistillSpModel* distill_sp_load(const char* proto, size_t size, char* error, size_t errorSize);
void distill_sp_free(DistillSpModel* model);
int distill_sp_piece_count(const DistillSpModel* model);
/* Writes at most `capacity` ids; returns how many the text encodes to, or -1 on error. */
long distill_sp_encode(const DistillSpModel* model, const char* text, size_t size, int* ids, size_t capacity,
                       char* error, size_t errorSize);
/* Writes at most `capacity` bytes; returns the decoded length, or -1 on error. */
long distill_sp_decode(const DistillSpModel* model, const int* ids, size_t count, char* out, size_t capacity,
                       char* error, size_t errorSize);
/* The piece of one id (as stored, with U+2581 for spaces); returns its length. */
long distill_sp_piece(const DistillSpModel* model, int id, char* out, size_t capacity);
/* The serialized model proto; returns its length. */
long distill_sp_proto(const DistillSpModel* model, char* out, size_t capacity);
/* SentencePieceTrainer::Train with command-line style arguments; returns 0 on success. */
int distill_sp_train(const char* arguments, char* error, size_t errorSize);

#ifdef __cplusplus
}
#endif
