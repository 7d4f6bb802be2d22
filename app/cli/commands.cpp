#include "commands.h"

#include "exit_codes.h"

namespace distill::cli {

int Commands::runChosen() const {
  for (const auto& [command, action] : m_entries) {
    if (command->parsed()) return action();
  }
  return kExitBadInput;  // unreachable: the parser requires one subcommand
}

std::string examples(std::initializer_list<const char*> lines) {
  std::string text = "Examples:";
  for (const char* line : lines) text += std::string("\n  ") + line;
  return text + "\n";
}

}  // namespace distill::cli
