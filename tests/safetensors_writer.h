#pragma once

// Test support: writes a .safetensors file (header length, JSON header, little-endian data) from
// float tensors, stored as F32, F16 or BF16.
#include <torch/torch.h>

#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

inline void writeSafetensorsFile(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                                 const std::string& dtype = "F32") {
  const auto type = dtype == "F16" ? torch::kFloat16 : dtype == "BF16" ? torch::kBFloat16 : torch::kFloat32;
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& [name, tensor] : tensors) {
    const auto stored = tensor.to(type).contiguous();
    const auto bytes = static_cast<size_t>(stored.numel() * stored.element_size());
    header[name] = {{"dtype", dtype}, {"shape", stored.sizes().vec()}, {"data_offsets", {data.size(), data.size() + bytes}}};
    data.append(static_cast<const char*>(stored.data_ptr()), bytes);
  }
  const std::string text = header.dump();
  const uint64_t length = text.size();
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(&length), 8);
  out << text << data;
}
