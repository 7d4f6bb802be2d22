#pragma once

// A student's own tokenization of the run's text (students[i].tokenizer): its token streams, its
// validation batches and characters per token (for bits per character), and the batch of the
// student step in progress. Students that name the same tokenizer share one view; a distilled
// student and its scratch twin read the same batches.

#include <memory>
#include <string>
#include <vector>

#include "data/corpus.h"

namespace distill {

struct CorpusView {
  std::string tokenizerSpec;  // as students[i].tokenizer names it
  Corpus corpus;
  std::vector<Batch> valBatches;
  double charsPerToken = 1.0;
  std::unique_ptr<BatchSampler> sampler;  // the student phase's, seeded like the run's own
  Batch current;                          // this step's batch (on the run's device)
};

}  // namespace distill
