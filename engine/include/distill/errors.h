#pragma once

#include <stdexcept>
#include <string>

namespace distill {

/// A user-facing failure (bad file, bad key, bad data). The message is one line that names what
/// went wrong and where; the CLI prints it as is and the GUI shows it in a dialog.
class EngineError : public std::runtime_error {
public:
  explicit EngineError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace distill
