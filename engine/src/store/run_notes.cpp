#include "distill/run_notes.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/paths.h"

namespace distill {

namespace {
constexpr char kNotesFile[] = "notes.json";
}

RunNotes readRunNotes(const std::string& runDir) {
  RunNotes notes;
  std::ifstream in(std::filesystem::path(runDir) / kNotesFile);
  if (!in) return notes;
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object()) return notes;
  if (j.contains("tags") && j["tags"].is_array())
    for (const auto& t : j["tags"])
      if (t.is_string()) notes.tags.push_back(t.get<std::string>());
  if (j.contains("note") && j["note"].is_string()) notes.note = j["note"].get<std::string>();
  return notes;
}

void writeRunNotes(const std::string& runDir, const RunNotes& notes) {
  const nlohmann::ordered_json j = {{"tags", notes.tags}, {"note", notes.note}};
  writeFileAtomically((std::filesystem::path(runDir) / kNotesFile).string(), j.dump(2) + "\n");
}

std::vector<std::string> parseTags(const std::string& text) {
  std::vector<std::string> tags;
  std::stringstream in(text);
  for (std::string tag; std::getline(in, tag, ',');) {
    const auto first = tag.find_first_not_of(" \t\n");
    if (first == std::string::npos) continue;
    tag = tag.substr(first, tag.find_last_not_of(" \t\n") - first + 1);
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
  }
  return tags;
}

}  // namespace distill
