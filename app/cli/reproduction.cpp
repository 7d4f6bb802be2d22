#include "reproduction.h"

#include <cmath>
#include <cstdio>

#include "distill/provenance.h"
#include "distill/run_reader.h"
#include "json_numbers.h"

namespace distill::cli {

using Json = nlohmann::ordered_json;

Json reproductionReport(const std::string& original, const RunResult& rerun) {
  const RunRecord before = readRunSummary(original);
  Json models = Json::array();
  bool allMatch = !before.models.empty();
  for (const auto& was : before.models) {
    double now = NAN;
    for (const auto& m : rerun.models)
      if (m.name == was.name) now = m.valLoss;
    // The same build on the same machine is deterministic: equal means bit for bit.
    const bool matches = std::isfinite(now) && now == was.valLoss;
    allMatch = allMatch && matches;
    models.push_back({{"name", was.name},
                      {"original", finiteOrNull(was.valLoss)},
                      {"reproduced", finiteOrNull(now)},
                      {"difference", finiteOrNull(now - was.valLoss)},
                      {"matches", matches}});
  }
  Json differences = Json::array();
  for (const auto& d : provenanceDifferences(readProvenance(original), readProvenance(rerun.runDir)))
    differences.push_back({{"key", d.key}, {"original", d.first}, {"reproduced", d.second}});
  return {{"reproduced_from", original},
          {"all_match", allMatch},
          {"models", models},
          {"provenance_differences", differences}};
}

void printReproduction(const Json& report) {
  std::printf("\nreproducing %s:\n", report["reproduced_from"].get<std::string>().c_str());
  for (const auto& m : report["models"]) {
    const std::string name = m["name"].get<std::string>();
    if (m["matches"].get<bool>()) {
      std::printf("  %-22s val_loss %.10g  matches to the last digit\n", name.c_str(),
                  m["original"].get<double>());
    } else if (m["reproduced"].is_null() || m["original"].is_null()) {
      std::printf("  %-22s not measured in one of the runs\n", name.c_str());
    } else {
      const double was = m["original"].get<double>(), now = m["reproduced"].get<double>();
      std::printf("  %-22s val_loss %.10g, was %.10g: differs by %+.3g (%.2g relative)\n", name.c_str(), now,
                  was, now - was, std::abs(now - was) / std::abs(was));
    }
  }
  const auto& differences = report["provenance_differences"];
  if (differences.empty()) std::printf("provenance: the same build, machine and inputs\n");
  for (const auto& d : differences)
    std::printf("provenance differs: %s: %s -> %s\n", d["key"].get<std::string>().c_str(),
                d["original"].get<std::string>().c_str(), d["reproduced"].get<std::string>().c_str());
}

}  // namespace distill::cli
