#include "distill/config_patch.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <sstream>
#include <vector>

namespace distill {

namespace {

struct Replacement {
  int line = 0;    // 0-based, as yaml-cpp's marks
  int column = 0;  // 0-based
  std::string value;
};

/// A scalar as YAML writes it on one line (quoted where its text needs it).
std::optional<std::string> inlineScalar(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetDoublePrecision(10);
  out << node;
  std::string text = out.c_str();
  if (text.find('\n') != std::string::npos) return std::nullopt;
  return text;
}

std::string scalarText(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "~";
  if (node.IsScalar()) return node.Scalar();
  return YAML::Dump(node);
}

/// Walks the emitted `after` tree beside the emitted `before` tree and the author's tree, and
/// collects where each changed scalar sits in the author's text. False: a change with no place.
bool collect(const YAML::Node& before, const YAML::Node& after, const YAML::Node& authored, bool inFlow,
             std::vector<Replacement>& out) {
  if (after.IsMap()) {
    if (!before.IsMap()) return false;
    const bool flow = inFlow || (authored.IsDefined() && authored.Style() == YAML::EmitterStyle::Flow);
    for (const auto& entry : after) {
      const std::string key = entry.first.as<std::string>();
      const YAML::Node b = before[key];
      const YAML::Node a = authored.IsMap() ? authored[key] : YAML::Node(YAML::NodeType::Undefined);
      if (b.IsDefined() && YAML::Dump(b) == YAML::Dump(entry.second)) continue;  // unchanged
      if (!b.IsDefined() || !a.IsDefined()) return false;                        // a key the file never named
      if (!collect(b, entry.second, a, flow, out)) return false;
    }
    for (const auto& entry : before)  // a key the change removed: nowhere to take it from
      if (!after[entry.first.as<std::string>()].IsDefined()) return false;
    return true;
  }
  if (after.IsSequence()) {
    if (!before.IsSequence() || !authored.IsSequence() || before.size() != after.size() ||
        authored.size() != after.size())
      return false;
    const bool flow = inFlow || authored.Style() == YAML::EmitterStyle::Flow;
    for (std::size_t i = 0; i < after.size(); ++i)
      if (!collect(before[i], after[i], authored[i], flow, out)) return false;
    return true;
  }
  if (scalarText(before) == scalarText(after)) return true;
  if (inFlow || !authored.IsScalar()) return false;
  const auto value = inlineScalar(after);
  if (!value) return false;
  out.push_back({authored.Mark().line, authored.Mark().column, *value});
  return true;
}

/// The end of the scalar starting at `begin` on `line`: a quoted one ends at its closing quote, a
/// plain one before a comment or the line's end. npos for a block scalar (| or >).
std::size_t scalarEnd(const std::string& line, std::size_t begin) {
  if (begin >= line.size()) return std::string::npos;
  const char first = line[begin];
  if (first == '|' || first == '>') return std::string::npos;
  if (first == '"' || first == '\'') {
    for (std::size_t i = begin + 1; i < line.size(); ++i) {
      if (first == '"' && line[i] == '\\') {
        ++i;
      } else if (line[i] == first) {
        if (first == '\'' && i + 1 < line.size() && line[i + 1] == '\'') {
          ++i;  // '' is an escaped quote
        } else {
          return i + 1;
        }
      }
    }
    return std::string::npos;  // a quoted scalar over several lines
  }
  std::size_t end = line.size();
  const auto comment = line.find(" #", begin);
  if (comment != std::string::npos) end = comment;
  while (end > begin && (line[end - 1] == ' ' || line[end - 1] == '\t' || line[end - 1] == '\r')) --end;
  return end;
}

}  // namespace

std::optional<std::string> patchExperimentYaml(const std::string& text, const std::string& sourceDir,
                                               const ExperimentConfig& before,
                                               const ExperimentConfig& after) {
  std::vector<Replacement> replacements;
  try {
    const YAML::Node authored = YAML::Load(text);
    const YAML::Node emittedBefore = YAML::Load(experimentToYaml(before));
    const YAML::Node emittedAfter = YAML::Load(experimentToYaml(after));
    if (!collect(emittedBefore, emittedAfter, authored, false, replacements)) return std::nullopt;
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  // Right to left, so earlier columns on the same line stay where the marks say.
  std::sort(replacements.begin(), replacements.end(), [](const Replacement& x, const Replacement& y) {
    return x.line != y.line ? x.line > y.line : x.column > y.column;
  });
  for (const auto& r : replacements) {
    if (r.line < 0 || r.line >= static_cast<int>(lines.size())) return std::nullopt;
    std::string& line = lines[r.line];
    const std::size_t begin = static_cast<std::size_t>(r.column);
    const std::size_t end = scalarEnd(line, begin);
    if (end == std::string::npos) return std::nullopt;
    line.replace(begin, end - begin, r.value);
  }
  std::string patched;
  for (const auto& line : lines) patched += line + "\n";
  if (!text.empty() && text.back() != '\n') patched.pop_back();
  // Only a text that reads back as `after` is offered; anything else is a bug here, not the user's.
  const auto check = parseExperiment(patched, sourceDir, {}, after.name);
  if (!check.ok() || experimentToYaml(check.config) != experimentToYaml(after)) return std::nullopt;
  return patched;
}

}  // namespace distill
