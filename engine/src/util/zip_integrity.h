#pragma once

// Checks a zip archive (LibTorch's checkpoint format) against its own CRC-32s before LibTorch
// parses it: LibTorch 1.13's reader trusts the bytes and can crash on damaged ones.

#include <string>

namespace distill {

/// Throws EngineError ("<what> is not a readable LibTorch archive: ...") when `bytes` is not a complete zip
/// whose stored entries all match their CRC-32 (zip64 included; compressed entries are checked for bounds
/// only).
void verifyZipIntegrity(const std::string& bytes, const std::string& what);

}  // namespace distill
