#include "store/provenance.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "distill/build_info.h"
#include "distill/provenance.h"
#include "util/paths.h"
#include "util/sha256.h"

namespace distill {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

/// The value of `key` in a "key: value" or "KEY=value" text file (/proc/cpuinfo, /etc/os-release).
std::string lineValue(const std::string& path, const std::string& key, char separator) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) != 0) continue;
    const auto at = line.find(separator);
    if (at == std::string::npos) continue;
    std::string value = line.substr(at + 1);
    value.erase(0, value.find_first_not_of(" \t\""));
    while (!value.empty() && (value.back() == '"' || value.back() == ' ')) value.pop_back();
    return value;
  }
  return "";
}

/// This process's command line (/proc/self/cmdline), arguments with spaces quoted.
std::string commandLine() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string out;
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    std::string arg = all.substr(start, end - start);
    if (arg.find_first_of(" \t'\"") != std::string::npos) arg = "'" + arg + "'";
    out += (out.empty() ? "" : " ") + arg;
    start = end + 1;
  }
  return out;
}

Json machineFacts(const ComputeFacts& facts) {
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  utsname system{};
  uname(&system);
  return {{"host", host},
          {"os", lineValue("/etc/os-release", "PRETTY_NAME", '=')},
          {"kernel", std::string(system.sysname) + " " + system.release},
          {"cpu", lineValue("/proc/cpuinfo", "model name", ':')},
          {"cores", std::max(1u, std::thread::hardware_concurrency())},
          {"device", facts.device},
          {"precision", facts.precision},
          {"threads", facts.threads},
          {"processes", facts.processes}};
}

/// A file's or a folder's digest with its path.
Json hashed(const std::string& path) {
  const bool folder = fs::is_directory(path);
  Json j = {{"path", fs::absolute(path).lexically_normal().string()},
            {"sha256", folder ? sha256OfFolder(path) : sha256OfFile(path)}};
  if (!folder) j["bytes"] = fs::file_size(path);
  return j;
}

/// The tokenizer's files: none for characters; a file or a folder; or, for "teacher", the
/// tokenizer files in the teacher's Hugging Face folder (not its weights).
Json tokenizerFacts(const ExperimentConfig& c) {
  const std::string& spec = c.data.tokenizer;
  if (spec == "char") return {{"spec", spec}};
  if (spec != "teacher") {
    Json j = hashed(spec);
    j["spec"] = spec;
    return j;
  }
  std::string lines;
  for (const char* name : {"tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
                           "tokenizer.model", "special_tokens_map.json"}) {
    const fs::path file = fs::path(c.teacher.hf) / name;
    if (fs::exists(file)) lines += std::string(name) + " " + sha256OfFile(file.string()) + "\n";
  }
  return {{"spec", spec}, {"path", c.teacher.hf}, {"sha256", sha256OfText(lines)}};
}

Json inputFacts(const ExperimentConfig& c, const RunOptions& options, const ComputeFacts& facts) {
  Json inputs = Json::object();
  if (!options.experimentFile.empty() && fs::exists(options.experimentFile))
    inputs["experiment_file"] = hashed(options.experimentFile);
  inputs["config_sha256"] = sha256OfText(experimentToYaml(c));
  inputs["corpus"] = facts.corpusSha256.empty()
                         ? hashed(c.data.corpus)
                         : Json{{"path", fs::absolute(c.data.corpus).lexically_normal().string()},
                                {"sha256", facts.corpusSha256},
                                {"bytes", facts.corpusBytes}};
  inputs["tokenizer"] = tokenizerFacts(c);
  if (!c.teacher.hf.empty()) {
    Json teacher = hashed((fs::path(c.teacher.hf) / "config.json").string());
    teacher["folder"] = c.teacher.hf;
    inputs["teacher_hf_config"] = teacher;
  }
  if (!c.teacher.checkpoint.empty()) inputs["teacher_checkpoint"] = hashed(c.teacher.checkpoint);
  return inputs;
}

void flatten(const Json& j, const std::string& prefix, std::vector<ProvenanceField>& out) {
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) flatten(value, prefix.empty() ? key : prefix + "." + key, out);
    return;
  }
  out.push_back({prefix, j.is_string() ? j.get<std::string>() : j.is_null() ? "" : j.dump()});
}

}  // namespace

std::string utcTimestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

Json collectProvenance(const ExperimentConfig& config, const RunOptions& options, const ComputeFacts& facts) {
  return {{"format", 1},
          {"build",
           {{"version", projectVersion()},
            {"libtorch", libtorchVersion()},
            {"libtorch_source", libtorchSource()},
            {"build_type", buildType()}}},
          {"machine", machineFacts(facts)},
          {"command_line", commandLine()},
          {"started", utcTimestamp()},
          {"ended", nullptr},
          {"status", "running"},
          {"seed", config.train.seed},
          {"repeats", config.train.repeats},
          {"inputs", inputFacts(config, options, facts)}};
}

std::vector<ProvenanceField> readProvenance(const std::string& runDir) {
  std::vector<ProvenanceField> fields;
  const fs::path path = fs::path(runDir) / "run.json";
  if (!fs::exists(path)) return fields;
  const Json j = Json::parse(readFile(path.string(), "run.json"), nullptr, false);
  if (!j.is_discarded()) flatten(j, "", fields);
  return fields;
}

std::string provenanceValue(const std::vector<ProvenanceField>& fields, const std::string& key) {
  for (const auto& f : fields)
    if (f.key == key) return f.value;
  return "";
}

std::vector<ProvenanceDifference> provenanceDifferences(const std::vector<ProvenanceField>& first,
                                                        const std::vector<ProvenanceField>& second) {
  static const std::set<std::string> kAlwaysDiffer = {"started", "ended", "status", "command_line"};
  std::vector<ProvenanceDifference> out;
  std::set<std::string> seen;
  auto compare = [&](const std::string& key) {
    if (kAlwaysDiffer.count(key) || !seen.insert(key).second) return;
    const std::string a = provenanceValue(first, key), b = provenanceValue(second, key);
    if (a != b) out.push_back({key, a, b});
  };
  for (const auto& f : first) compare(f.key);
  for (const auto& f : second) compare(f.key);
  return out;
}

}  // namespace distill
