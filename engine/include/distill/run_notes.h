#pragma once

// What a user writes about a run: tags and a note, kept in the run folder (notes.json) so they
// travel with it. The runs panel edits them; `distill runs --json` lists them.

#include <string>
#include <vector>

namespace distill {

struct RunNotes {
  std::vector<std::string> tags;
  std::string note;

  bool empty() const { return tags.empty() && note.empty(); }
};

/// The notes of a run folder (empty when it has none). A damaged notes.json reads as empty.
RunNotes readRunNotes(const std::string& runDir);
/// Writes them atomically. Throws EngineError when the folder cannot be written.
void writeRunNotes(const std::string& runDir, const RunNotes& notes);
/// "baseline, lr-high" → {"baseline", "lr-high"}: split at commas, trimmed, empty ones and repeats dropped.
std::vector<std::string> parseTags(const std::string& text);

}  // namespace distill
