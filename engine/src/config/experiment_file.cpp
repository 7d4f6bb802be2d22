// Reading an experiment file from disk (experiment_file.h): bounded, named after itself when it
// has no `name` key.

#include "config/experiment_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/run_names.h"

namespace distill {

namespace fs = std::filesystem;

ExperimentFileText readExperimentFile(const std::string& path) {
  ExperimentFileText file;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    file.problem = ConfigProblem{"(file)", 0, 0,
                                 "cannot open experiment file: " +
                                     std::string(fs::exists(path) ? "permission denied" : "no such file")};
    return file;
  }
  // An experiment is a few KiB: anything past 1 MiB is not one (and is never parsed).
  constexpr std::streamoff kMaxExperimentBytes = 1 << 20;
  std::error_code ec;
  if (fs::is_regular_file(path, ec) &&
      static_cast<std::streamoff>(fs::file_size(path, ec)) > kMaxExperimentBytes) {
    file.problem = ConfigProblem{"(file)", 0, 0, "larger than 1 MiB: not an experiment file"};
    return file;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  file.text = buffer.str();
  file.dir = fs::absolute(fs::path(path)).parent_path().string();
  // A file without `name` is named after itself; characters a run folder's name may not hold become '_'.
  std::string stem = fs::path(path).stem().string();
  for (char& c : stem)
    if (!isNameCharacter(c)) c = '_';
  if (stem.empty() || stem.front() == '.') stem = "experiment" + stem;
  file.defaultName = stem.substr(0, 100);
  return file;
}

}  // namespace distill
