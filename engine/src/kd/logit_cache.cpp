#include "kd/logit_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "distill/errors.h"
#include "kd/divergences.h"

namespace distill {

namespace {

constexpr char kMagic[8] = {'D', 'L', 'C', 'A', 'C', 'H', 'E', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 64;

size_t recordBytes(const LogitCacheHeader& h) {
  return static_cast<size_t>(h.topK) * (sizeof(int32_t) + sizeof(float));
}

size_t stepBytes(const LogitCacheHeader& h) {
  return static_cast<size_t>(h.batchSize) * h.blockSize * recordBytes(h);
}

void encodeHeader(const LogitCacheHeader& h, uint8_t* out) {
  std::memset(out, 0, kHeaderBytes);
  std::memcpy(out, kMagic, 8);
  const uint32_t fields[] = {kVersion, h.vocabSize, h.topK, h.blockSize, h.batchSize, h.steps};
  std::memcpy(out + 8, fields, sizeof fields);
  std::memcpy(out + 32, &h.temperature, sizeof h.temperature);
  std::memcpy(out + 40, &h.seed, sizeof h.seed);
}

}  // namespace

LogitCacheWriter::LogitCacheWriter(const std::string& path, const LogitCacheHeader& header)
    : m_path(path), m_tmpPath(path + ".tmp"), m_header(header) {
  m_file = std::fopen(m_tmpPath.c_str(), "wb");
  if (!m_file) throw EngineError("cannot write logit cache " + m_tmpPath + ": " + std::strerror(errno));
  uint8_t bytes[kHeaderBytes];
  encodeHeader(header, bytes);
  if (std::fwrite(bytes, 1, kHeaderBytes, m_file) != kHeaderBytes)
    throw EngineError("cannot write logit cache " + m_tmpPath + " (disk full?)");
}

LogitCacheWriter::~LogitCacheWriter() {
  if (m_file) {
    std::fclose(m_file);
    std::remove(m_tmpPath.c_str());  // unfinished: never leave a partial cache behind
  }
}

void LogitCacheWriter::append(const torch::Tensor& teacherLogits) {
  const auto k = static_cast<int64_t>(m_header.topK);
  auto logProbs =
      torch::log_softmax(teacherLogits.to(torch::kFloat32) / m_header.temperature, -1);  // (B, T, V)
  auto [values, indices] = logProbs.topk(k, -1);                                         // (B, T, k)
  auto ids = indices.to(torch::kCPU, torch::kInt32).contiguous();
  values = values.to(torch::kCPU).contiguous();
  const int64_t positions = ids.numel() / k;
  const int32_t* idData = ids.data_ptr<int32_t>();
  const float* valueData = values.data_ptr<float>();
  for (int64_t p = 0; p < positions; ++p) {
    if (std::fwrite(idData + p * k, sizeof(int32_t), static_cast<size_t>(k), m_file) !=
            static_cast<size_t>(k) ||
        std::fwrite(valueData + p * k, sizeof(float), static_cast<size_t>(k), m_file) !=
            static_cast<size_t>(k))
      throw EngineError("cannot write logit cache " + m_tmpPath + " (disk full?)");
  }
  ++m_written;
}

void LogitCacheWriter::finish() {
  if (m_written != m_header.steps)
    throw EngineError("logit cache " + m_path + ": wrote " + std::to_string(m_written) + " of " +
                      std::to_string(m_header.steps) + " steps");
  const bool flushed = std::fflush(m_file) == 0 && ::fsync(fileno(m_file)) == 0;
  std::fclose(m_file);
  m_file = nullptr;
  if (!flushed || std::rename(m_tmpPath.c_str(), m_path.c_str()) != 0)
    throw EngineError("cannot finish logit cache " + m_path + ": " + std::strerror(errno));
}

LogitCache::LogitCache(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw EngineError("cannot open logit cache " + path + ": " + std::strerror(errno));
  struct stat st {};
  ::fstat(fd, &st);
  m_size = static_cast<size_t>(st.st_size);
  if (m_size < kHeaderBytes) {
    ::close(fd);
    throw EngineError("logit cache " + path + " is truncated (no header)");
  }
  void* mapped = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapped == MAP_FAILED) throw EngineError("cannot map logit cache " + path + ": " + std::strerror(errno));
  m_data = static_cast<const uint8_t*>(mapped);
  uint32_t fields[6];
  std::memcpy(fields, m_data + 8, sizeof fields);
  if (std::memcmp(m_data, kMagic, 8) != 0 || fields[0] != kVersion) {
    ::munmap(const_cast<uint8_t*>(m_data), m_size);
    throw EngineError("logit cache " + path + " is not a distill logit cache (version 1)");
  }
  m_header.vocabSize = fields[1];
  m_header.topK = fields[2];
  m_header.blockSize = fields[3];
  m_header.batchSize = fields[4];
  m_header.steps = fields[5];
  std::memcpy(&m_header.temperature, m_data + 32, sizeof(float));
  std::memcpy(&m_header.seed, m_data + 40, sizeof(uint64_t));
  const size_t expected = kHeaderBytes + stepBytes(m_header) * m_header.steps;
  if (m_header.topK == 0 || m_size != expected) {
    ::munmap(const_cast<uint8_t*>(m_data), m_size);
    throw EngineError("logit cache " + path + " has " + std::to_string(m_size) +
                      " bytes, its header promises " + std::to_string(expected) + " (truncated?)");
  }
}

LogitCache::~LogitCache() {
  if (m_data) ::munmap(const_cast<uint8_t*>(m_data), m_size);
}

void LogitCache::read(uint32_t step, torch::Tensor* ids, torch::Tensor* logProbs) const {
  TORCH_CHECK(step < m_header.steps, "logit cache has ", m_header.steps, " steps, asked for step ", step);
  const int64_t k = m_header.topK, B = m_header.batchSize, T = m_header.blockSize;
  *ids = torch::empty({B, T, k}, torch::kInt32);
  *logProbs = torch::empty({B, T, k}, torch::kFloat32);
  const uint8_t* record = m_data + kHeaderBytes + stepBytes(m_header) * step;
  int32_t* idOut = ids->data_ptr<int32_t>();
  float* lpOut = logProbs->data_ptr<float>();
  for (int64_t p = 0; p < B * T; ++p, record += recordBytes(m_header)) {
    std::memcpy(idOut + p * k, record, static_cast<size_t>(k) * sizeof(int32_t));
    std::memcpy(lpOut + p * k, record + k * sizeof(int32_t), static_cast<size_t>(k) * sizeof(float));
  }
  *ids = ids->to(torch::kInt64);
}

torch::Tensor sparseForwardKl(const torch::Tensor& studentLogits, const torch::Tensor& ids,
                              const torch::Tensor& teacherLogProbs, double temperature,
                              const torch::Tensor& mask) {
  auto logQ = torch::log_softmax(studentLogits / temperature, -1).gather(-1, ids);  // (B, T, k)
  auto logP = teacherLogProbs.to(logQ.scalar_type());                               // (B, T, k)
  auto p = logP.exp();
  auto headKl = (p * (logP - logQ)).sum(-1);  // (B, T)
  // The tail bucket: everything outside the teacher's top-k, on both sides.
  const double eps = 1e-12;
  auto pTail = (1.0 - p.sum(-1)).clamp_min(eps);
  auto qTail = (1.0 - logQ.exp().sum(-1)).clamp_min(eps);
  auto tailKl = pTail * (pTail.log() - qTail.log());
  const auto perPosition = headKl + tailKl;
  const auto mean =
      mask.defined() ? maskedMean(perPosition.reshape({-1}), mask.reshape({-1})) : perPosition.mean();
  return mean * (temperature * temperature);
}

}  // namespace distill
