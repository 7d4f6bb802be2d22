#pragma once

// An enumeration's names as a table of (value, name) pairs: both directions in one place.

#include <optional>
#include <string>
#include <utility>

namespace distill {

template <class Enum, size_t N>
const char* nameIn(const std::pair<Enum, const char*> (&table)[N], Enum value) {
  for (const auto& [v, text] : table)
    if (v == value) return text;
  return "?";
}

template <class Enum, size_t N>
std::optional<Enum> valueIn(const std::pair<Enum, const char*> (&table)[N], const std::string& name) {
  for (const auto& [value, text] : table)
    if (name == text) return value;
  return std::nullopt;
}

}  // namespace distill
