#include "store/tensorboard_events.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "distill/errors.h"
#include "distill/run_reader.h"
#include "distill/tensorboard.h"
#include "util/crc32c.h"
#include "util/paths.h"

namespace distill {

namespace fs = std::filesystem;

namespace {

/// One protocol-buffer message being encoded: fields appended in any order (proto3 wire format).
class Proto {
public:
  Proto& varint(int field, uint64_t v) {
    key(field, 0);
    raw(v);
    return *this;
  }
  Proto& float64(int field, double v) {
    key(field, 1);
    little(&v, 8);
    return *this;
  }
  Proto& float32(int field, float v) {
    key(field, 5);
    little(&v, 4);
    return *this;
  }
  Proto& bytes(int field, const std::string& s) {
    key(field, 2);
    raw(s.size());
    m_bytes += s;
    return *this;
  }
  Proto& message(int field, const Proto& m) { return bytes(field, m.m_bytes); }
  const std::string& encoded() const { return m_bytes; }

private:
  void key(int field, int wireType) {
    raw(static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wireType));
  }
  void raw(uint64_t v) {
    do {
      const auto byte = static_cast<char>((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
      m_bytes += byte;
      v >>= 7;
    } while (v);
  }
  void little(const void* value, size_t size) {  // x86 and ARM Linux are little-endian, as the format
    m_bytes.append(static_cast<const char*>(value), size);
  }
  std::string m_bytes;
};

// Field numbers of tensorboard/compat/proto (event.proto, summary.proto, tensor.proto).
enum EventField { kWallTime = 1, kStep = 2, kFileVersion = 3, kSummary = 5 };
enum ValueField { kTag = 1, kSimpleValue = 2, kTensor = 8, kMetadata = 9 };
constexpr int kDtString = 7;  // types.proto DT_STRING

Proto event(double wallTime, int64_t step) {
  Proto e;
  e.float64(kWallTime, wallTime).varint(kStep, static_cast<uint64_t>(step));
  return e;
}

/// SummaryMetadata naming the plugin that reads a value, with its content.
Proto pluginMetadata(const std::string& plugin, const std::string& content) {
  Proto data;
  data.bytes(1, plugin).bytes(2, content);
  Proto metadata;
  metadata.message(1, data);
  return metadata;
}

std::string summaryEvent(double wallTime, int64_t step, const Proto& value) {
  Proto summary;
  summary.message(1, value);
  return event(wallTime, step).message(kSummary, summary).encoded();
}

std::string tagOf(const std::string& metric, const std::string& model, int repeat) {
  return metric + "/" + model + (repeat > 0 ? "/repeat-" + std::to_string(repeat) : "");
}

/// The experiment's settings as hparams: every scalar of the YAML by its dotted key.
void flattenYaml(const YAML::Node& node, const std::string& prefix, std::map<std::string, YAML::Node>& out) {
  if (node.IsMap()) {
    for (const auto& entry : node)
      flattenYaml(entry.second, prefix.empty() ? entry.first.Scalar() : prefix + "." + entry.first.Scalar(),
                  out);
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) flattenYaml(node[i], prefix + "." + std::to_string(i), out);
  } else if (node.IsScalar()) {
    out[prefix] = node;
  }
}

/// google.protobuf.Value: a number when the text is one, a bool for true/false, else a string.
Proto valueOf(const YAML::Node& scalar) {
  Proto v;
  const std::string& text = scalar.Scalar();
  if (text == "true" || text == "false") return v.varint(4, text == "true" ? 1 : 0);
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  if (!text.empty() && end == text.c_str() + text.size()) return v.float64(2, number);
  return v.bytes(3, text);
}

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// When the run began: run.json's start, else config.yaml's time (a run older than run.json).
double runStartUnix(const std::string& runDir) {
  const fs::path runJson = fs::path(runDir) / "run.json";
  if (fs::exists(runJson)) {
    const auto j = nlohmann::json::parse(readFile(runJson.string(), "run.json"), nullptr, false);
    if (j.is_object() && j.value("started", std::string()).size() >= 19) {
      std::tm utc{};
      if (strptime(j["started"].get<std::string>().c_str(), "%Y-%m-%dT%H:%M:%S", &utc))
        return static_cast<double>(timegm(&utc));
    }
  }
  std::error_code ec;
  const auto written = fs::last_write_time(fs::path(runDir) / "config.yaml", ec);
  if (ec) return unixNow();
  const auto age = fs::file_time_type::clock::now() - written;
  return unixNow() - std::chrono::duration<double>(age).count();
}

}  // namespace

std::string exportTensorBoard(const std::string& runDir) {
  if (!fs::exists(fs::path(runDir) / "config.yaml"))
    throw EngineError(runDir + " is no run folder (no config.yaml)");
  auto log = TensorBoardLog::rewrite(runDir);
  const fs::path summary = fs::path(runDir) / "summary.json";
  if (fs::exists(summary)) {
    const auto j = nlohmann::json::parse(readFile(summary.string(), "summary.json"), nullptr, false);
    if (j.is_object()) log->sessionEnd(j.value("status", std::string("running")));
  }
  return log->path();
}

std::vector<std::string> eventFilesIn(const std::string& runDir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(runDir, ec))
    if (entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
      files.push_back(entry.path().string());
  return files;
}

TensorBoardLog::TensorBoardLog(std::string path, double startUnix)
    : m_path(std::move(path)), m_startUnix(startUnix), m_file(m_path, std::ios::binary | std::ios::app) {
  if (!m_file) throw EngineError("cannot write " + m_path);
}

std::unique_ptr<TensorBoardLog> TensorBoardLog::rewrite(const std::string& runDir) {
  for (const auto& old : eventFilesIn(runDir))
    if (old.size() > 7 && old.compare(old.size() - 7, 7, ".distill") == 0) fs::remove(old);
  const double start = runStartUnix(runDir);
  char host[128] = "";
  gethostname(host, sizeof host - 1);
  const std::string name =
      "events.out.tfevents." + std::to_string(static_cast<long long>(start)) + "." + host + ".distill";
  std::unique_ptr<TensorBoardLog> log(new TensorBoardLog((fs::path(runDir) / name).string(), start));
  log->write(event(start, 0).bytes(kFileVersion, "brain.Event:2").encoded());
  log->flush();
  const fs::path config = fs::path(runDir) / "config.yaml";
  if (fs::exists(config)) log->hparams(readFile(config.string(), "config.yaml"));
  log->scalars(readMetrics(runDir));
  for (const auto& sample : readSamples(runDir)) log->text(sample);
  return log;
}

void TensorBoardLog::write(const std::string& record) {
  // TFRecord: length (uint64 LE), its masked CRC-32C, the record, the record's masked CRC-32C.
  const uint64_t length = record.size();
  const uint32_t lengthCrc = maskedCrc32c(&length, sizeof length);
  const uint32_t dataCrc = maskedCrc32c(record.data(), record.size());
  m_file.write(reinterpret_cast<const char*>(&length), sizeof length);
  m_file.write(reinterpret_cast<const char*>(&lengthCrc), sizeof lengthCrc);
  m_file.write(record.data(), static_cast<std::streamsize>(record.size()));
  m_file.write(reinterpret_cast<const char*>(&dataCrc), sizeof dataCrc);
}

void TensorBoardLog::flush() {
  // Once per batch of records (a step's metrics), as metrics.jsonl: a crash loses at most the
  // batch being written, and TensorBoard reads a torn last record as the end of the file.
  m_file.flush();
  if (!m_file) throw EngineError("cannot append to " + m_path + " (disk full?)");
}

void TensorBoardLog::scalars(const std::vector<MetricPoint>& points) {
  for (const auto& p : points) {
    Proto value;
    value.bytes(kTag, tagOf(p.name, p.model, p.repeat)).float32(kSimpleValue, static_cast<float>(p.value));
    write(summaryEvent(m_startUnix + p.wallSeconds, p.step, value));
  }
  flush();
}

void TensorBoardLog::text(const SampleRecord& sample) {
  Proto tensor;
  tensor.varint(1, kDtString).message(2, Proto()).bytes(8, sample.prompt + sample.text);
  Proto value;
  value.bytes(kTag, tagOf("samples", sample.model, sample.repeat))
      .message(kMetadata, pluginMetadata("text", ""))
      .message(kTensor, tensor);
  write(summaryEvent(unixNow(), sample.step, value));
  flush();
}

void TensorBoardLog::hparams(const std::string& configYaml) {
  std::map<std::string, YAML::Node> settings;
  flattenYaml(YAML::Load(configYaml), "", settings);
  // plugins/hparams/api.proto and plugin_data.proto: the experiment (which hparams and metrics
  // exist) and this session's values, each a value of its own tag with the plugin's data.
  Proto experiment;
  Proto session;
  for (const auto& [key, node] : settings) {
    experiment.message(4, Proto().bytes(1, key));
    session.message(1, Proto().bytes(1, key).message(2, valueOf(node)));
  }
  // The metrics the dashboard lists: every model's validation loss.
  std::vector<std::string> models;
  for (int i = 0; settings.count("teachers." + std::to_string(i) + ".name"); ++i)
    models.push_back("teacher-" + settings["teachers." + std::to_string(i) + ".name"].Scalar());
  if (models.empty()) models.push_back("teacher");
  for (int i = 0; settings.count("students." + std::to_string(i) + ".name"); ++i) {
    const std::string prefix = "students." + std::to_string(i) + ".";
    models.push_back(settings[prefix + "name"].Scalar() + "-kd");
    const bool twin =
        !settings.count(prefix + "scratch_twin") || settings[prefix + "scratch_twin"].Scalar() != "false";
    if (twin) models.push_back(settings[prefix + "name"].Scalar() + "-scratch");
  }
  for (const auto& model : models)
    experiment.message(5, Proto().message(1, Proto().bytes(2, tagOf("val/loss", model, 0))));
  if (settings.count("name")) session.bytes(4, settings["name"].Scalar());
  session.float64(5, m_startUnix);
  auto record = [&](const char* tag, int field, const Proto& data) {
    Proto pluginData;
    pluginData.varint(1, 0).message(field, data);
    Proto value;
    value.bytes(kTag, tag).message(kMetadata, pluginMetadata("hparams", pluginData.encoded()));
    write(summaryEvent(m_startUnix, 0, value));
  };
  record("_hparams_/experiment", 2, experiment);
  record("_hparams_/session_start_info", 3, session);
  flush();
}

void TensorBoardLog::sessionEnd(const std::string& status) {
  // api.proto Status: 1 success, 2 failure, 3 running.
  const int code = status == "completed" ? 1 : status == "running" ? 3 : 2;
  Proto end;
  end.varint(1, static_cast<uint64_t>(code)).float64(2, unixNow());
  Proto pluginData;
  pluginData.varint(1, 0).message(4, end);
  Proto value;
  value.bytes(kTag, "_hparams_/session_end_info")
      .message(kMetadata, pluginMetadata("hparams", pluginData.encoded()));
  write(summaryEvent(unixNow(), 0, value));
  flush();
}

}  // namespace distill
