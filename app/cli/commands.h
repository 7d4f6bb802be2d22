#pragma once

// The subcommands of `distill`. Each add* function declares its options on the parser and
// registers what runs when it is chosen; main() parses once and runs the chosen one.

#include <CLI/CLI.hpp>

#include <functional>
#include <utility>
#include <vector>

namespace distill::cli {

/// The subcommands registered on one parser, each with its action (returns an ExitCode).
class Commands {
public:
  void add(CLI::App* command, std::function<int()> action) {
    m_entries.emplace_back(command, std::move(action));
  }
  /// The action of the subcommand the parse chose (exactly one is required).
  int runChosen() const;

private:
  std::vector<std::pair<CLI::App*, std::function<int()>>> m_entries;
};

/// validate, run (and run --resume), worker.
void addExperimentCommands(CLI::App& app, Commands& commands);
/// sweep (and sweep --resume).
void addSweepCommand(CLI::App& app, Commands& commands);
/// generate, inspect, logits, tokenize, export-hf.
void addModelCommands(CLI::App& app, Commands& commands);
/// train-tokenizer, prepare, bench, schema.
void addToolCommands(CLI::App& app, Commands& commands);
/// completion bash|zsh: reads the finished parser, so add it last.
void addCompletionCommand(CLI::App& app, Commands& commands);

/// "Examples:" and the lines given, for a subcommand's --help footer.
std::string examples(std::initializer_list<const char*> lines);

}  // namespace distill::cli
