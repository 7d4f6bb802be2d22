#include "sweep/shared_work.h"

#include "distill/model_info.h"

namespace distill {

namespace {

/// Settings that change how often a run logs, evaluates or saves, never what it learns.
void resetBookkeeping(ExperimentConfig& c) {
  const TrainConfig defaults;
  c.name = "key";
  c.generate = GenerateConfig();
  c.train.eval_interval = defaults.eval_interval;
  c.train.log_interval = defaults.log_interval;
  c.train.checkpoint_interval = defaults.checkpoint_interval;
  c.train.keep_checkpoints = defaults.keep_checkpoints;
  c.train.threads = defaults.threads;
  c.train.processes = defaults.processes;
}

/// A student's distillation settings without the ones only the distilled twin reads: where the
/// training sequences come from stays (it may decide the batches both twins see).
DistillConfig dataSettings(const DistillConfig& d) {
  DistillConfig kept;
  kept.regime = d.regime;
  kept.cache_top_k = d.cache_top_k;
  kept.prefix_tokens = d.prefix_tokens;
  kept.sample_temperature = d.sample_temperature;
  kept.sample_top_k = d.sample_top_k;
  kept.sequence_count = d.sequence_count;
  kept.on_policy_fraction = d.on_policy_fraction;
  return kept;
}

}  // namespace

ExperimentConfig teacherOnly(const ExperimentConfig& config) {
  ExperimentConfig c = config;
  c.students.clear();
  c.name = config.name + "-teacher";
  c.train.repeats = 1;  // repeats retrain students: the teacher trains once
  c.train.repeat_teacher = false;
  return c;
}

std::string teacherKey(const ExperimentConfig& config) {
  ExperimentConfig c = teacherOnly(config);
  resetBookkeeping(c);
  c.distill = DistillConfig();
  c.train.student_steps = TrainConfig().student_steps;
  c.train.eval_batches = TrainConfig().eval_batches;
  return experimentToYaml(c);
}

std::string scratchKey(const ExperimentConfig& config, size_t index) {
  ExperimentConfig c = config;
  resetBookkeeping(c);
  c.distill = dataSettings(c.distill);
  for (auto& s : c.students)
    if (s.distill) s.distill = dataSettings(*s.distill);
  return experimentToYaml(c) + "\n# scratch twin of student " + std::to_string(index) + "\n";
}

RunOptions trialRunOptions(const SweepOptions& sweep) {
  RunOptions options;
  options.pauseOnNonFinite = sweep.pauseOnNonFinite;
  options.measureSpeed = false;
  options.tokenCacheDir = tokenCacheFolder(sweep.runsRoot);
  return options;
}

}  // namespace distill
