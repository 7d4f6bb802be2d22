#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "distill/errors.h"
#include "util/paths.h"

namespace distill {

namespace {

int64_t bytesPerElement(const std::string& dtype) {
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL" || dtype == "F8_E4M3" || dtype == "F8_E5M2") return 1;
  return 0;
}

std::string shapeText(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : m_path(path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw EngineError(path + ": cannot open safetensors file: " + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0 || info.st_size < 8) {
    ::close(fd);
    throw EngineError(path + ": not a safetensors file (shorter than its 8-byte header length)");
  }
  m_size = static_cast<size_t>(info.st_size);
  void* mapped = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapped == MAP_FAILED)
    throw EngineError(path + ": cannot map safetensors file: " + std::strerror(errno));
  m_data = static_cast<const uint8_t*>(mapped);

  try {
    uint64_t headerLength = 0;
    std::memcpy(&headerLength, m_data, 8);  // little-endian on every platform we build for
    if (headerLength > m_size - 8)
      throw EngineError(path + ": safetensors header length " + std::to_string(headerLength) +
                        " is beyond the file (" + std::to_string(m_size) + " bytes)");
    m_dataStart = 8 + headerLength;
    const uint64_t dataSize = m_size - m_dataStart;
    nlohmann::json header;
    try {
      header = nlohmann::json::parse(m_data + 8, m_data + m_dataStart);
    } catch (const nlohmann::json::exception& e) {
      throw EngineError(path + ": safetensors header is not valid JSON (" + std::string(e.what()) + ")");
    }
    if (!header.is_object()) throw EngineError(path + ": safetensors header is not a JSON object");
    for (const auto& [name, value] : header.items()) {
      if (name == "__metadata__") continue;
      const std::string where = path + ": tensor '" + name + "': ";
      try {
        SafetensorsEntry e;
        e.dtype = value.at("dtype").get<std::string>();
        e.shape = value.at("shape").get<std::vector<int64_t>>();
        const auto offsets = value.at("data_offsets").get<std::vector<uint64_t>>();
        if (offsets.size() != 2) throw EngineError(where + "data_offsets must hold [begin, end]");
        e.begin = offsets[0];
        e.end = offsets[1];
        if (e.begin > e.end || e.end > dataSize)
          throw EngineError(where + "data_offsets [" + std::to_string(e.begin) + ", " +
                            std::to_string(e.end) + "] out of range (data section is " +
                            std::to_string(dataSize) + " bytes)");
        const int64_t width = bytesPerElement(e.dtype);
        if (width == 0) throw EngineError(where + "unknown dtype '" + e.dtype + "'");
        uint64_t elements = 1;
        for (int64_t d : e.shape) {
          if (d < 0) throw EngineError(where + "negative dimension in shape " + shapeText(e.shape));
          // Checked before multiplying: a wrapped product could match the byte count by accident.
          if (d > 0 && elements > dataSize / static_cast<uint64_t>(d))
            throw EngineError(where + "shape " + shapeText(e.shape) + " is larger than the whole file");
          elements *= static_cast<uint64_t>(d);
        }
        if (elements * static_cast<uint64_t>(width) != e.end - e.begin)
          throw EngineError(where + "shape " + shapeText(e.shape) + " of " + e.dtype + " needs " +
                            std::to_string(elements * width) + " bytes, data_offsets give " +
                            std::to_string(e.end - e.begin));
        m_entries.emplace(name, e);
      } catch (const nlohmann::json::exception& ex) {
        throw EngineError(where + "malformed entry (" + std::string(ex.what()) + ")");
      }
    }
  } catch (...) {
    ::munmap(const_cast<uint8_t*>(m_data), m_size);
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (m_data) ::munmap(const_cast<uint8_t*>(m_data), m_size);
}

torch::Tensor SafetensorsFile::tensor(const std::string& name,
                                      const std::vector<int64_t>& expectedShape) const {
  const auto it = m_entries.find(name);
  if (it == m_entries.end()) throw EngineError(m_path + ": no tensor '" + name + "'");
  const auto& e = it->second;
  if (!expectedShape.empty() && e.shape != expectedShape)
    throw EngineError(m_path + ": tensor '" + name + "' has shape " + shapeText(e.shape) + ", expected " +
                      shapeText(expectedShape));
  torch::ScalarType type;
  if (e.dtype == "F32") {
    type = torch::kFloat32;
  } else if (e.dtype == "F16") {
    type = torch::kFloat16;
  } else if (e.dtype == "BF16") {
    type = torch::kBFloat16;
  } else {
    throw EngineError(m_path + ": tensor '" + name + "' has dtype " + e.dtype +
                      " (loadable: F32, F16, BF16)");
  }
  // from_blob over the mapping (possibly unaligned), then an owning float32 copy.
  auto raw = torch::from_blob(const_cast<uint8_t*>(m_data + m_dataStart + e.begin),
                              {static_cast<int64_t>(e.end - e.begin)}, torch::kUInt8)
                 .clone();
  return raw.view(type).reshape(e.shape).to(torch::kFloat32).contiguous();
}

void writeSafetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                      const std::string& dtype) {
  torch::ScalarType type;
  if (dtype == "F32") {
    type = torch::kFloat32;
  } else if (dtype == "F16") {
    type = torch::kFloat16;
  } else if (dtype == "BF16") {
    type = torch::kBFloat16;
  } else {
    throw EngineError(path + ": cannot write dtype " + dtype + " (F32, F16, BF16)");
  }
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  std::string data;
  for (const auto& [name, tensor] : tensors) {
    const auto stored = tensor.detach().to(torch::kCPU).to(type).contiguous();
    const auto bytes = static_cast<size_t>(stored.numel()) * static_cast<size_t>(stored.element_size());
    header[name] = {{"dtype", dtype},
                    {"shape", stored.sizes().vec()},
                    {"data_offsets", {data.size(), data.size() + bytes}}};
    data.append(static_cast<const char*>(stored.data_ptr()), bytes);
  }
  header["__metadata__"] = {{"format", "pt"}};
  const std::string text = header.dump();
  std::string file(8, '\0');
  const uint64_t length = text.size();
  std::memcpy(&file[0], &length, 8);  // little-endian on every platform we build for
  writeFileAtomically(path, file + text + data);
}

}  // namespace distill
