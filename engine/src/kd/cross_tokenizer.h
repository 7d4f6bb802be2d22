#pragma once

// Students with their own tokenizer (students[i].tokenizer): the same text in the teacher's
// tokens and in the student's. Vocabularies differ, so nothing maps one token to another; text is
// the common ground — decoded from one tokenizer and encoded by the other.

#include <torch/torch.h>

#include <string>
#include <vector>

#include "kd/teacher_sequences.h"
#include "tokenizers/tokenizer.h"

namespace distill {

/// `to`'s tokens of `text`, leniently: characters `to` cannot encode (a char tokenizer meets one
/// its corpus never had; a window cut inside a UTF-8 sequence decodes to U+FFFD) are left out.
std::vector<int64_t> encodeLeniently(const Tokenizer& to, const std::string& text);

/// Each row of `ids` (B, T), `from`'s tokens, as `to`'s tokens of the same text: the first T,
/// padded with 0. `mask` (B, T) is true where a row has a real token: the positions ULD aligns
/// by their order (Boizard et al., 2024).
struct RetokenizedRows {
  torch::Tensor ids;   // (B, T) int64
  torch::Tensor mask;  // (B, T) bool
};
RetokenizedRows retokenizeRows(const torch::Tensor& ids, const Tokenizer& from, const Tokenizer& to);

/// Text-level sequence KD (Kim & Rush across tokenizers): the teacher's sequences decoded, each
/// encoded by `to` and cut into whole rows of `rowLength` tokens (a sequence shorter than a row
/// is left out; the rest of a longer one too). Response flags are not carried (running text).
SequenceSet retokenizeSequences(const SequenceSet& set, const Tokenizer& from, const Tokenizer& to,
                                int rowLength);

}  // namespace distill
