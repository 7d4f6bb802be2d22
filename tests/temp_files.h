#pragma once

// Files the engine tests write into a temporary folder, and example data they share.
#include <QTemporaryDir>
#include <fstream>
#include <random>
#include <string>

/// Writes `text` (bytes as given) to `name` in `dir`; returns its path.
inline std::string writeFile(const QTemporaryDir& dir, const QString& name, const std::string& text) {
  const std::string path = dir.filePath(name).toStdString();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

/// A prompt/response task a model can learn in a few hundred steps: 400 JSON Lines records, each a
/// noise prompt of 6 letters and "=", the answer the prompt's last letter twice in capitals.
inline std::string echoRecords() {
  std::string lines;
  std::mt19937 rng(5);
  for (int i = 0; i < 400; ++i) {
    std::string prompt;
    for (int k = 0; k < 6; ++k) prompt += static_cast<char>('a' + rng() % 8);
    const std::string response(2, static_cast<char>('A' + (prompt.back() - 'a')));
    lines += "{\"prompt\": \"" + prompt + "=\", \"response\": \"" + response + "\"}\n";
  }
  return lines;
}
