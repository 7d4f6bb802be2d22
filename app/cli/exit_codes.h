#pragma once

// The exit codes of every `distill` subcommand, argument parsing included: scripts branch on them.

namespace distill::cli {

enum ExitCode : int {
  kExitOk = 0,             ///< the command did what was asked
  kExitFailed = 1,         ///< the work failed: unreadable or damaged input met while working, a
                           ///< diverged run, a full disk; nothing about the command line was wrong
  kExitBadInput = 2,       ///< usage or input rejected before any work: unknown option, bad value,
                           ///< invalid experiment file, a model that is not in the run
  kExitInterrupted = 130,  ///< stopped by Ctrl-C or SIGTERM after saving (128 + SIGINT, as shells do)
};

/// The table above as `--help` prints it.
inline const char* exitCodeHelp() {
  return "Exit codes:\n"
         "  0    done\n"
         "  1    failed while working (damaged input, diverged run, full disk, ...)\n"
         "  2    bad usage or input, rejected before any work (option, value, experiment file)\n"
         "  130  interrupted (Ctrl-C or SIGTERM); a run saved its checkpoints first\n";
}

}  // namespace distill::cli
