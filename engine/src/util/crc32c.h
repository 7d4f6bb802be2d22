#pragma once

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of TensorBoard's TFRecord
// framing. Debian has no package of Google's crc32c library, and the table form is a few lines.

#include <cstddef>
#include <cstdint>

namespace distill {

uint32_t crc32c(const void* data, size_t size);
/// TFRecord's masked form: rotated right by 15 bits plus 0xa282ead8, so that a CRC of data that
/// holds CRCs does not degenerate.
uint32_t maskedCrc32c(const void* data, size_t size);

}  // namespace distill
