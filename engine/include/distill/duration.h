#pragma once

#include <string>

namespace distill {

/// "1h02m", "4m05s", "12s": durations in progress lines (CLI) and the status bar (GUI).
std::string formatDuration(double seconds);

}  // namespace distill
