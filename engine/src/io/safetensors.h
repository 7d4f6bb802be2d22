#pragma once

// Reader for Hugging Face `.safetensors` files: an 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the raw
// little-endian tensor bytes (offsets relative to the end of the header). The file is
// memory-mapped; tensors are copied out as float32 on request.

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace distill {

struct SafetensorsEntry {
  std::string dtype;  ///< F32, F16, BF16 (others are listed but not loadable)
  std::vector<int64_t> shape;
  uint64_t begin = 0;  ///< byte offsets from the start of the data section
  uint64_t end = 0;
};

class SafetensorsFile {
public:
  /// Maps and validates the whole header (length within the file, JSON, every entry's dtype,
  /// shape and offsets within the data and matching its byte size). Throws EngineError naming
  /// the file and the entry.
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::map<std::string, SafetensorsEntry>& entries() const { return m_entries; }
  bool contains(const std::string& name) const { return m_entries.count(name) > 0; }
  /// The tensor as float32 (F16 and BF16 are widened). Throws EngineError for a missing name,
  /// an unsupported dtype, or a shape other than `expectedShape` when one is given.
  torch::Tensor tensor(const std::string& name, const std::vector<int64_t>& expectedShape = {}) const;
  const std::string& path() const { return m_path; }

private:
  std::string m_path;
  const uint8_t* m_data = nullptr;  // whole file
  size_t m_size = 0;
  size_t m_dataStart = 0;
  std::map<std::string, SafetensorsEntry> m_entries;
};

/// Writes `tensors` (any float dtype, stored as `dtype`: F32, F16 or BF16) as a .safetensors file,
/// atomically. Names are written in map order, data in the same order.
void writeSafetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                      const std::string& dtype = "F32");

}  // namespace distill
