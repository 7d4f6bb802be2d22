#pragma once

// Ctrl-C and SIGTERM: the handler only sets a lock-free flag; long work polls it and stops cleanly.

namespace distill::cli {

/// Routes SIGINT and SIGTERM to the flag below (idempotent).
void catchInterrupts();
/// Whether Ctrl-C or SIGTERM arrived since catchInterrupts().
bool interrupted();

}  // namespace distill::cli
