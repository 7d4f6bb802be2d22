#pragma once

#include <cstdint>

namespace distill {

/// Whether item `index` (a document, an example) belongs to the held-out share `fraction`: decided
/// by a hash of the index alone (splitmix64), so the same items are held out on every run and
/// machine, whatever else the corpus holds.
inline bool heldOutByIndex(uint64_t index, double fraction) {
  uint64_t h = index + 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return static_cast<double>(h >> 11) * 0x1.0p-53 < fraction;
}

}  // namespace distill
