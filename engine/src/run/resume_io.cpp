// Resumable checkpoints of a run in progress: written every train.checkpoint_interval steps and
// when a run stops, read back by resumeExperiment (see store/resume_point.h for the layout).

#include "distill/errors.h"
#include "models/model_factory.h"
#include "run/experiment_run.h"

namespace distill {

void ExperimentRun::saveResumePoint(RunPhase phase, int step, int totalSteps, const std::string& samplerState,
                                    const std::string& sequenceSamplerState) {
  if (!lead()) return;  // the ranks' states are equal: rank 0's serves all of them
  const int member = phase == RunPhase::Teacher ? static_cast<int>(m_teacherInTraining) : 0;
  ResumePointWriter writer(m_store->dir(), m_repeat, phase, member, step, m_config.train.keep_checkpoints);
  const auto lengths = m_store->lengths();
  nlohmann::json state = {{"format", 1},
                          {"phase", phaseName(phase)},
                          {"step", step},
                          {"repeat", m_repeat},
                          {"total_steps", totalSteps},
                          {"config", experimentToYaml(m_config)},  // live changes included
                          {"elapsed_s", elapsed()},
                          {"metrics_bytes", lengths.metrics},
                          {"samples_bytes", lengths.samples},
                          {"corpus_tokens", m_corpus.train.size() + m_corpus.val.size()},
                          {"batch_sampler", samplerState},
                          {"sequence_sampler", sequenceSamplerState},
                          {"world_size", worldSize()},
                          {"teacher_member", m_teacherInTraining},
                          {"models", nlohmann::json::array()}};
  state["view_samplers"] = nlohmann::json::array();
  for (const auto& view : m_views)
    state["view_samplers"].push_back(view->sampler ? view->sampler->state() : "");
  const auto models = modelsOf(phase);
  for (size_t i = 0; i < models.size(); ++i) {
    const TrainedModel& m = *models[i];
    saveCheckpoint(writer.modelPath(m.name), *m.model, infoFor(m));
    torch::serialize::OutputArchive trainer;
    m.trainer->saveState(trainer);
    writer.archive().write("trainer_" + std::to_string(i), trainer);
    if (m.onPolicyGenerator.defined())
      writer.archive().write("sampling_rng_" + std::to_string(i), m.onPolicyGenerator.get_state());
    state["models"].push_back({{"name", m.name},
                               {"steps", m.steps},
                               {"train_tokens", m.trainTokens},
                               {"train_seconds", m.trainSeconds}});
  }
  {
    // Dropout masks come from LibTorch's default generator.
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    writer.archive().write("torch_rng", generator.get_state());
  }
  writer.commit(state);
}

void ExperimentRun::restoreResumePoint() {
  const auto& state = m_resume->state;
  const int64_t corpusTokens = m_corpus.train.size() + m_corpus.val.size();
  if (state.at("corpus_tokens").get<int64_t>() != corpusTokens)
    throw EngineError("cannot resume: the corpus " + m_corpus.path + " has " + std::to_string(corpusTokens) +
                      " tokens now, " + std::to_string(state.at("corpus_tokens").get<int64_t>()) +
                      " at the checkpoint (it changed since)");
  auto archive = m_resume->openArchive(m_device);  // optimizer moments go where the weights are
  m_teacherInTraining = state.value("teacher_member", size_t{0});
  if (m_teacherInTraining >= m_teachers.size())
    throw EngineError("cannot resume: " + m_resume->dir + " was training teacher " +
                      std::to_string(m_teacherInTraining + 1) + " and the experiment has " +
                      std::to_string(m_teachers.size()));
  const auto models = modelsOf(m_resume->phase);
  const auto& saved = state.at("models");
  for (size_t i = 0; i < models.size(); ++i) {
    TrainedModel& m = *models[i];
    if (i >= saved.size() || saved[i].at("name").get<std::string>() != m.name)
      throw EngineError("cannot resume: " + m_resume->dir + " has no state for model '" + m.name + "'");
    const auto loaded = loadCheckpoint(m_resume->modelPath(m.name));
    if (loaded.model->parameterCount() != m.model->parameterCount())
      throw EngineError("cannot resume: " + m_resume->modelPath(m.name) + " holds a model of another shape");
    copyWeights(loaded.model, m.model);
    torch::serialize::InputArchive trainer;
    archive.read("trainer_" + std::to_string(i), trainer);
    m.trainer->loadState(trainer);
    if (m.onPolicyGenerator.defined()) {
      torch::Tensor rng;
      archive.read("sampling_rng_" + std::to_string(i), rng);
      m.onPolicyGenerator.set_state(rng.to(torch::kCPU));
    }
    m.steps = saved[i].at("steps").get<int>();
    m.trainTokens = saved[i].at("train_tokens").get<int64_t>();
    m.trainSeconds = saved[i].at("train_seconds").get<double>();
  }
  // Trained teachers whose phase ended before the checkpoint were saved then.
  const size_t finished = m_resume->phase == RunPhase::Students ? m_teachers.size() : m_teacherInTraining;
  for (size_t i = 0; i < finished && lead(); ++i) {
    TrainedModel& t = m_teachers[i];
    if (!t.trainer) continue;
    const auto saved = loadCheckpoint(checkpointOf(t));
    copyWeights(saved.model, t.model);
    t.steps = saved.info.step;
  }
  {
    torch::Tensor rng;
    archive.read("torch_rng", rng);
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(rng.to(torch::kCPU));
  }
  m_elapsedBefore = state.at("elapsed_s").get<double>();
  const int savedWorld = state.value("world_size", 1);
  if (savedWorld != worldSize())
    m_observer.onMessage("the checkpoint was written by " + std::to_string(savedWorld) +
                         " process(es), this run has " + std::to_string(worldSize()) +
                         ": the global batch changes from here on");
  m_observer.onMessage("resuming " + (m_store ? m_store->dir() : m_resume->dir) + " from " +
                       phaseName(m_resume->phase) + " step " + std::to_string(m_resume->step) + " of " +
                       std::to_string(state.value("total_steps", 0)));
}

}  // namespace distill
