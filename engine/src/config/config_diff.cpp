#include "distill/config_diff.h"

#include <yaml-cpp/yaml.h>

#include <map>

namespace distill {

namespace {

bool scalarList(const YAML::Node& node) {
  for (const auto& item : node)
    if (!item.IsScalar()) return false;
  return true;
}

/// Every scalar of `node` under its dotted path, in document order.
void flatten(const YAML::Node& node, const std::string& path,
             std::vector<std::pair<std::string, std::string>>& out) {
  const auto join = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
  if (node.IsMap()) {
    for (const auto& entry : node) flatten(entry.second, join(entry.first.Scalar()), out);
  } else if (node.IsSequence() && !scalarList(node)) {
    for (size_t i = 0; i < node.size(); ++i) flatten(node[i], join(std::to_string(i)), out);
  } else if (node.IsSequence()) {
    std::string text;
    for (const auto& item : node) text += (text.empty() ? "" : ", ") + item.Scalar();
    out.emplace_back(path, "[" + text + "]");
  } else {
    out.emplace_back(path, node.IsNull() ? "" : node.Scalar());
  }
}

}  // namespace

std::vector<KeyDifference> differingKeys(const std::vector<std::string>& yamlTexts) {
  std::vector<std::string> order;
  std::vector<std::map<std::string, std::string>> tables;
  for (const auto& text : yamlTexts) {
    std::vector<std::pair<std::string, std::string>> flat;
    try {
      flatten(YAML::Load(text), "", flat);
    } catch (const YAML::Exception&) {
      flat.clear();
    }
    std::map<std::string, std::string> table;
    for (const auto& [key, value] : flat) {
      if (table.emplace(key, value).second && std::find(order.begin(), order.end(), key) == order.end())
        order.push_back(key);
    }
    tables.push_back(std::move(table));
  }
  std::vector<KeyDifference> differences;
  for (const auto& key : order) {
    KeyDifference d{key, {}};
    for (const auto& table : tables) {
      const auto it = table.find(key);
      d.values.push_back(it == table.end() ? "(absent)" : it->second);
    }
    if (std::adjacent_find(d.values.begin(), d.values.end(), std::not_equal_to<>()) != d.values.end())
      differences.push_back(std::move(d));
  }
  return differences;
}

}  // namespace distill
