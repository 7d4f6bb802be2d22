// `distill`: the headless front end. Every subcommand is a thin call into the engine; app/cli/
// holds them, one file per group, and the exit-code table they all share.

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "distill/build_info.h"
#include "distill/errors.h"

namespace {

/// The same facts every run folder records in summary.json's "build".
std::string versionText() {
  return "distill " + distill::projectVersion() + "\nLibTorch " + distill::libtorchVersion() + " (" +
         distill::libtorchSource() + ")\nbuild " + distill::buildType();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace distill::cli;
  CLI::App app{"distill: knowledge distillation of language models (headless runner)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", versionText,
                       "Print the version, the LibTorch it was built against, and exit");
  app.footer(exitCodeHelp());

  Commands commands;
  addExperimentCommands(app, commands);
  addSweepCommand(app, commands);
  addModelCommands(app, commands);
  addToolCommands(app, commands);
  addCompletionCommand(app, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every other parse error is bad usage: one table for all.
    return app.exit(e) == 0 ? kExitOk : kExitBadInput;
  }

  try {
    return commands.runChosen();
  } catch (const distill::EngineError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitFailed;
  } catch (const std::exception& e) {
    const std::string message = e.what();
    std::cerr << "error: " << message.substr(0, message.find('\n')) << "\n";
    return kExitFailed;
  }
}
