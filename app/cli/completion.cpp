// `distill completion bash|zsh`: shell completion scripts written from the parser itself, so they
// never fall behind the options, plus the experiment keys --set accepts.

#include <iostream>
#include <memory>
#include <sstream>

#include "commands.h"
#include "distill/config.h"
#include "exit_codes.h"

namespace distill::cli {

namespace {

/// What completes after an option that takes a value.
enum class ValueKind { File, Directory, Choice, ExperimentKey, Free };

struct OptionSpec {
  std::vector<std::string> names;  ///< with dashes: --set, -h
  bool takesValue = false;
  ValueKind kind = ValueKind::Free;
  std::vector<std::string> choices;
};

struct CommandSpec {
  std::string name;
  std::string description;
  std::vector<OptionSpec> options;
};

OptionSpec describeOption(const CLI::Option& option) {
  OptionSpec spec;
  for (const auto& n : option.get_lnames()) spec.names.push_back("--" + n);
  for (const auto& n : option.get_snames()) spec.names.push_back("-" + n);
  spec.takesValue = option.get_items_expected_max() > 0;
  const std::string type = option.get_type_name();  // e.g. "TEXT:{bpe,sentencepiece}", "TEXT:DIR"
  if (std::find(spec.names.begin(), spec.names.end(), "--set") != spec.names.end()) {
    spec.kind = ValueKind::ExperimentKey;
  } else if (const auto open = type.find(":{"); open != std::string::npos) {
    spec.kind = ValueKind::Choice;
    std::stringstream list(type.substr(open + 2, type.find('}', open) - open - 2));
    for (std::string choice; std::getline(list, choice, ',');) spec.choices.push_back(choice);
  } else if (type.find("DIR") != std::string::npos) {
    spec.kind = ValueKind::Directory;
  } else if (type.find("FILE") != std::string::npos || type.find("PATH") != std::string::npos ||
             type.rfind("TEXT", 0) == 0) {
    spec.kind = ValueKind::File;
  }
  return spec;
}

std::vector<CommandSpec> describeCommands(const CLI::App& app) {
  std::vector<CommandSpec> commands;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    CommandSpec spec{sub->get_name(), sub->get_description(), {}};
    for (const auto* option : sub->get_options()) {
      if (option->nonpositional()) spec.options.push_back(describeOption(*option));
    }
    commands.push_back(spec);
  }
  return commands;
}

std::string joined(const std::vector<std::string>& words, const char* separator = " ") {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

/// Every option spelling of a subcommand: --set, -h, --help, ...
std::vector<std::string> optionNames(const CommandSpec& command) {
  std::vector<std::string> names;
  for (const auto& o : command.options) names.insert(names.end(), o.names.begin(), o.names.end());
  return names;
}

std::string shellQuoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// How one shell completes an option's value, by kind; "%s" stands for the choices: one quoted
/// word list for bash's compgen -W, separate words for zsh's compadd.
struct ValueCompletion {
  const char* experimentKey;
  const char* choice;
  const char* directory;
  const char* file;
  bool quoteChoices;
};
const ValueCompletion kBashValues = {
    "compopt -o nospace 2>/dev/null; COMPREPLY=($(compgen -W \"$keys\" -S = -- \"$cur\"))",
    "COMPREPLY=($(compgen -W %s -- \"$cur\"))", "COMPREPLY=($(compgen -d -- \"$cur\"))",
    "COMPREPLY=($(compgen -f -- \"$cur\"))", true};
const ValueCompletion kZshValues = {"compadd -S = -- $keys", "compadd -- %s", "_files -/", "_files", false};

/// The `case "$prev" in` arms of one subcommand: what completes after each option with a value.
std::string valueCases(const CommandSpec& command, const ValueCompletion& shell) {
  std::string arms;
  for (const auto& o : command.options) {
    if (!o.takesValue) continue;
    std::string action;
    switch (o.kind) {
      case ValueKind::ExperimentKey:
        action = shell.experimentKey;
        break;
      case ValueKind::Choice: {
        action = shell.choice;
        const std::string words = joined(o.choices);
        action.replace(action.find("%s"), 2, shell.quoteChoices ? shellQuoted(words) : words);
        break;
      }
      case ValueKind::Directory:
        action = shell.directory;
        break;
      case ValueKind::File:
        action = shell.file;
        break;
      case ValueKind::Free:
        break;
    }
    arms += "        " + joined(o.names, "|") + ") " + (action.empty() ? "" : action + "; ") + "return ;;\n";
  }
  return arms;
}

std::string bashScript(const std::vector<CommandSpec>& commands) {
  std::vector<std::string> names;
  for (const auto& c : commands) names.push_back(c.name);
  std::ostringstream s;
  s << "# bash completion for distill: source <(distill completion bash)\n"
    << "_distill() {\n"
    << "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" sub=\"\" i\n"
    << "  local keys=" << shellQuoted(joined(experimentKeyPaths())) << "\n"
    << "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
    << "    case \"${COMP_WORDS[i]}\" in " << joined(names, "|")
    << ") sub=\"${COMP_WORDS[i]}\"; break ;; esac\n"
    << "  done\n"
    << "  if [[ -z $sub ]]; then\n"
    << "    COMPREPLY=($(compgen -W " << shellQuoted(joined(names) + " --help --version")
    << " -- \"$cur\"))\n"
    << "    return\n"
    << "  fi\n"
    << "  local opts=\"\"\n"
    << "  case \"$sub\" in\n";
  for (const auto& c : commands) {
    s << "    " << c.name << ")\n      opts=" << shellQuoted(joined(optionNames(c)))
      << "\n      case \"$prev\" in\n";
    s << valueCases(c, kBashValues);
    s << "      esac ;;\n";
  }
  s << "  esac\n"
    << "  if [[ $cur == -* ]]; then\n"
    << "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
    << "  else\n"
    << "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
    << "  fi\n"
    << "}\n"
    << "complete -o filenames -F _distill distill\n";
  return s.str();
}

std::string zshEscaped(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string zshScript(const std::vector<CommandSpec>& commands) {
  std::ostringstream s;
  s << "#compdef distill\n"
    << "# zsh completion for distill: source <(distill completion zsh), or save as _distill in $fpath\n"
    << "_distill() {\n"
    << "  local -a subcommands keys opts\n"
    << "  subcommands=(\n";
  for (const auto& c : commands) s << "    " << shellQuoted(c.name + ":" + zshEscaped(c.description)) << "\n";
  s << "  )\n"
    << "  keys=(" << joined(experimentKeyPaths()) << ")\n"
    << "  if (( CURRENT == 2 )); then\n"
    << "    _describe 'command' subcommands\n"
    << "    return\n"
    << "  fi\n"
    << "  local prev=${words[CURRENT-1]}\n"
    << "  case ${words[2]} in\n";
  for (const auto& c : commands) {
    s << "    " << c.name << ")\n      opts=(" << joined(optionNames(c)) << ")\n      case $prev in\n";
    s << valueCases(c, kZshValues);
    s << "      esac ;;\n";
  }
  s << "  esac\n"
    << "  if [[ $PREFIX == -* ]]; then compadd -- $opts; else _files; fi\n"
    << "}\n"
    << "if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then _distill \"$@\"; else compdef _distill "
       "distill; fi\n";
  return s.str();
}

}  // namespace

void addCompletionCommand(CLI::App& app, Commands& commands) {
  auto shell = std::make_shared<std::string>();
  auto* completion = app.add_subcommand("completion", "Print a shell completion script (bash or zsh)");
  completion->add_option("shell", *shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
  completion->footer(
      examples({"source <(distill completion bash)       # this shell; add it to ~/.bashrc to keep it",
                "distill completion zsh > ~/.zfunc/_distill  # with fpath+=~/.zfunc before compinit"}));
  const CLI::App* parser = &app;
  commands.add(completion, [shell, parser] {
    const auto described = describeCommands(*parser);
    std::cout << (*shell == "bash" ? bashScript(described) : zshScript(described));
    return static_cast<int>(kExitOk);
  });
}

}  // namespace distill::cli
