#pragma once

// Names that become folder and file names inside a run folder (the experiment's, the students'):
// one character rule for checking them and for deriving one from a file name.

#include <string>

namespace distill {

/// A-Z a-z 0-9 _ - . — nothing that separates paths, hides files or needs quoting.
inline bool isNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}

}  // namespace distill
