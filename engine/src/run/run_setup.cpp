// Before any step: the corpus and its tokenizer, the teacher (trained here, or loaded from a
// checkpoint or a Hugging Face folder), the students and their scratch twins, the run folder.

#include <cstdio>
#include <optional>

#include "distill/errors.h"
#include "io/hf_import.h"
#include "models/model_factory.h"
#include "models/sampling.h"
#include "run/experiment_run.h"
#include "store/provenance.h"
#include "train/bits_per_char.h"

namespace distill {

void ExperimentRun::prepare() {
  m_device = resolveDevice(m_config.train.device, m_group ? m_group->rank() : 0);
  if (!m_device.is_cpu() || m_config.train.precision != Precision::Fp32)
    m_observer.onMessage("computing on " + deviceName(m_device) + " in " + nameOf(m_config.train.precision));
  std::unique_ptr<LoadedModel> loadedTeacher;
  std::string teacherSource;
  loadCorpusAndTeacher(loadedTeacher, teacherSource);
  if (loadedTeacher) adoptPretrainedTeacher(*loadedTeacher, teacherSource);
  if (m_resume) m_repeat = m_resume->state.value("repeat", 1);  // seeds the models built below
  m_config.data.corpus = m_corpus.path;                         // config.yaml records the file really read
  if (lead()) openRunStore();
  // Students predict over the teacher's ids (an imported model may have more than its tokenizer).
  m_vocab = loadedTeacher ? loadedTeacher->model->vocabSize() : m_corpus.tokenizer.vocabSize();
  m_teachers.clear();
  buildTeacher(0, std::move(loadedTeacher), teacherSource);
  buildOtherTeachers();
  const auto& t = m_config.train;
  m_valBatches = fixedBatches(m_corpus.val, m_config.data.block_size, t.batch_size, t.eval_batches,
                              static_cast<uint64_t>(t.seed) + 2,  // the same in every repeat
                              m_corpus.valResponse);
  m_valCharsPerToken = charactersPerToken(m_valBatches, m_corpus.tokenizer);
  for (auto& batch : m_valBatches) batch = onDevice(batch, m_device);
  buildStudents(m_vocab);
  if (m_resume) restoreResumePoint();
  if (m_resume && lead()) m_outcomes = m_store->readRepeatOutcomes(m_repeat);
  if (m_group) synchronizeWeights();
}

void ExperimentRun::loadCorpusAndTeacher(std::unique_ptr<LoadedModel>& loaded, std::string& source) {
  if (!m_config.teacher.checkpoint.empty()) {
    loaded = std::make_unique<LoadedModel>(loadCheckpoint(m_config.teacher.checkpoint));
    source = "teacher checkpoint " + m_config.teacher.checkpoint;
    m_corpus = loadCorpus(m_config.data, &loaded->info.tokenizer, corpusOptions());
  } else if (!m_config.teacher.hf.empty()) {
    m_observer.onMessage("importing the teacher from " + m_config.teacher.hf);
    auto imported = importHuggingFaceModel(m_config.teacher.hf);
    loaded = std::make_unique<LoadedModel>();
    loaded->model = imported.model;
    loaded->info.spec = imported.model->spec();
    loaded->info.blockSize = imported.contextLength;
    source = "imported teacher " + m_config.teacher.hf;
    m_corpus = loadCorpus(withTokenizerResolved(m_config.data, m_config.teacher), nullptr, corpusOptions());
    if (m_corpus.tokenizer.vocabSize() > imported.model->vocabSize())
      throw EngineError("the tokenizer has " + std::to_string(m_corpus.tokenizer.vocabSize()) +
                        " tokens but " + source + " knows only " +
                        std::to_string(imported.model->vocabSize()) + " (is it the teacher's tokenizer?)");
  } else {
    m_corpus = loadCorpus(m_config.data, nullptr, corpusOptions());
  }
  const auto& facts = m_corpus.facts;
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f s", facts.seconds);
  if (m_config.data.examples()) {  // held in memory: what was read, packed and left out
    m_observer.onMessage(std::string("read and packed the examples in ") + seconds + ": " + facts.note);
    return;
  }
  m_observer.onMessage(
      std::string(facts.reusedCache ? "opened the token cache in " : "tokenized the corpus in ") + seconds +
      " (" + std::to_string(facts.trainTokens + facts.valTokens) + " tokens, " +
      std::to_string(facts.documents) +
      " document(s)): " + (facts.cachePath.empty() ? std::string("temporary") : facts.cachePath));
}

CorpusOptions ExperimentRun::corpusOptions() const {
  CorpusOptions options;
  options.cacheDir =
      m_options.tokenCacheDir.empty() ? tokenCacheFolder(m_options.runsRoot) : m_options.tokenCacheDir;
  options.threads = m_threads;
  // A big corpus takes minutes the first time: say how far it got, at most every tenth.
  auto reported = std::make_shared<int>(-1);
  options.progress = [this, reported](const CorpusProgress& p) {
    const int tenth = p.totalBytes > 0 ? static_cast<int>(10 * p.doneBytes / p.totalBytes) : 0;
    if (tenth == *reported || p.totalBytes < (64 << 20)) return;
    *reported = tenth;
    m_observer.onMessage("corpus: " + p.stage + " " + std::to_string(10 * tenth) + " %");
  };
  return options;
}

void ExperimentRun::adoptPretrainedTeacher(const LoadedModel& loaded, const std::string& source) {
  const auto& info = loaded.info;
  if (info.spec.isTransformer() && info.blockSize < m_config.data.block_size) {
    throw EngineError(source + " has a context of " + std::to_string(info.blockSize) +
                      " tokens but data.block_size is " + std::to_string(m_config.data.block_size) +
                      " (lower data.block_size)");
  }
  m_config.teacher.model = info.spec;  // the resolved config records what was really used
  if (m_config.ensemble()) m_config.teachers.front().model = info.spec;
  // A DistilGPT2-style student takes the teacher's architecture and widths with its own depth.
  for (auto& s : m_config.students) {
    if (!s.init_from_teacher) continue;
    const int layers = s.model.layers;
    s.model = info.spec;
    s.model.layers = layers;
    if (layers > info.spec.layers)
      throw EngineError("student '" + s.name + "': init_from_teacher with " + std::to_string(layers) +
                        " layers, but the teacher has " + std::to_string(info.spec.layers));
  }
}

void ExperimentRun::openRunStore() {
  const std::string dir = m_options.outDir.empty()
                              ? RunStore::newRunDirectory(m_options.runsRoot, m_config.name)
                              : m_options.outDir;
  if (m_resume) {
    const RunStore::Lengths resumeAt{m_resume->state.at("metrics_bytes").get<uint64_t>(),
                                     m_resume->state.at("samples_bytes").get<uint64_t>()};
    m_store = std::make_unique<RunStore>(dir, &resumeAt, m_resume->writerLock);
  } else {
    m_store = std::make_unique<RunStore>(dir);
    m_store->writeConfig(experimentToYaml(m_config));
  }
  ComputeFacts facts;
  facts.device = deviceName(m_device);
  facts.precision = nameOf(m_config.train.precision);
  facts.threads = m_threads;
  facts.processes = worldSize();
  facts.corpusSha256 = m_corpus.sha256;
  facts.corpusBytes = m_corpus.bytes;
  m_store->writeProvenance(collectProvenance(m_config, m_options, facts), m_resume != nullptr);
  m_store->writeWorldSize(worldSize());
  m_observer.onRunDirectory(dir);
}

void ExperimentRun::buildTeacher(size_t index, std::unique_ptr<LoadedModel> loaded,
                                 const std::string& source) {
  const auto member = m_config.teacherMembers().at(index);
  if (m_teachers.size() <= index) m_teachers.resize(index + 1);
  TrainedModel& teacher = m_teachers[index];
  teacher.name = teacherModelName(member, m_config.ensemble());
  teacher.role = ModelRole::Teacher;
  if (loaded) {
    teacher.model = loaded->model;
    teacher.model->to(m_device);
    teacher.steps = loaded->info.step;
    m_observer.onMessage(source + " (" + std::to_string(teacher.model->parameterCount()) + " parameters)");
    return;
  }
  const auto& t = m_config.train;
  // Each member of an ensemble starts from its own weights (the first from the teacher's seed).
  torch::manual_seed(teacherSeed() + static_cast<int>(index));
  teacher.model = makeModel(member.model, m_vocab, m_config.data.block_size);
  teacher.model->to(m_device);  // built on the CPU first: the same initial weights on every device
  teacher.trainer = std::make_unique<ModelTrainer>(teacher.name, teacher.model, t, t.steps);
  teacher.trainer->setParallelism(m_threads);  // one model: its batch rows share the cores
}

void ExperimentRun::buildOtherTeachers() {
  const auto members = m_config.teacherMembers();
  for (size_t i = 1; i < members.size(); ++i) {
    auto& member = m_config.teachers[i];
    const std::string key = "teachers." + std::to_string(i);
    std::unique_ptr<LoadedModel> loaded;
    std::optional<Tokenizer> tokenizer;  // the member's own, where its files hold one
    if (!member.checkpoint.empty()) {
      loaded = std::make_unique<LoadedModel>(loadCheckpoint(member.checkpoint));
      tokenizer = loaded->info.tokenizer;
    } else if (!member.hf.empty()) {
      m_observer.onMessage("importing " + key + " from " + member.hf);
      auto imported = importHuggingFaceModel(member.hf);
      loaded = std::make_unique<LoadedModel>();
      loaded->model = imported.model;
      loaded->info.spec = imported.model->spec();
      if (Tokenizer::folderHasTokenizer(member.hf)) tokenizer = Tokenizer::load(member.hf);
    }
    if (!loaded) {
      buildTeacher(i, nullptr, "");
      continue;
    }
    const std::string source = key + " " + (member.checkpoint.empty() ? member.hf : member.checkpoint);
    // An ensemble averages distributions over one vocabulary: every member reads the run's ids.
    if (tokenizer && tokenizer->toJson() != m_corpus.tokenizer.toJson())
      throw EngineError(source + " has another tokenizer (" + tokenizer->kind() + ", " +
                        std::to_string(tokenizer->vocabSize()) + " tokens) than the run's (" +
                        m_corpus.tokenizer.kind() + ", " + std::to_string(m_corpus.tokenizer.vocabSize()) +
                        " tokens): an ensemble's teachers share one tokenizer");
    if (loaded->model->vocabSize() != m_vocab)
      throw EngineError(source + " predicts " + std::to_string(loaded->model->vocabSize()) +
                        " tokens, the first teacher " + std::to_string(m_vocab) +
                        ": an ensemble's teachers share one vocabulary");
    member.model = loaded->model->spec();
    buildTeacher(i, std::move(loaded), source);
  }
}

void ExperimentRun::buildStudents(int64_t vocab) {
  const auto& t = m_config.train;
  const int studentSteps = m_config.studentSteps();
  for (size_t i = 0; i < m_config.students.size(); ++i) {
    const auto& s = m_config.students[i];
    CorpusView* view = hasOwnTokenizer(s, m_config.data) ? openView(s.tokenizer) : nullptr;
    const int64_t ownVocab = view ? view->corpus.tokenizer.vocabSize() : vocab;
    // A fixed init_seed moves with the repeats as train.seed does: each repeat starts elsewhere.
    const int offset = seed() - t.seed;
    torch::manual_seed(s.init_seed >= 0 ? s.init_seed + offset : seed() + 1 + static_cast<int>(i));
    auto add = [&](LanguageModel model, const std::string& suffix, ModelRole role) {
      TrainedModel m;
      m.name = s.name + suffix;
      m.role = role;
      m.model = model;
      m.distill = s.distill.value_or(m_config.distill);
      model->to(m_device);
      auto features = role == ModelRole::Distilled ? featureSetupFor(s, m.distill) : nullptr;
      m.trainer = std::make_unique<ModelTrainer>(m.name, model, t, studentSteps, std::move(features));
      m.onPolicyGenerator = makeSamplingGenerator(static_cast<uint64_t>(seed()) + 1000 + i);
      m.view = view;
      m_students.push_back(std::move(m));
    };
    auto distilled = makeModel(s.model, ownVocab, m_config.data.block_size);
    if (s.init_from_teacher) {
      initFromTeacherLayers(m_teachers.front().model, distilled);
      m_observer.onMessage(s.name + ": initialised from " + std::to_string(s.model.layers) +
                           " of the teacher's " + std::to_string(m_teachers.front().model->spec().layers) +
                           " layers");
    }
    add(distilled, "-kd", ModelRole::Distilled);
    if (s.scratch_twin) {
      auto scratch = makeModel(s.model, ownVocab, m_config.data.block_size);
      copyWeights(distilled, scratch);  // the twin starts from the very same weights
      add(scratch, "-scratch", ModelRole::Scratch);
    }
  }
}

CorpusView* ExperimentRun::openView(const std::string& spec) {
  for (auto& v : m_views)
    if (v->tokenizerSpec == spec) return v.get();
  DataConfig data = m_config.data;
  data.tokenizer = spec;
  auto view = std::make_unique<CorpusView>();
  view->tokenizerSpec = spec;
  view->corpus = loadCorpus(data, nullptr, corpusOptions());
  const auto& t = m_config.train;
  view->valBatches = fixedBatches(view->corpus.val, m_config.data.block_size, t.batch_size, t.eval_batches,
                                  static_cast<uint64_t>(t.seed) + 2);
  view->charsPerToken = charactersPerToken(view->valBatches, view->corpus.tokenizer);
  for (auto& batch : view->valBatches) batch = onDevice(batch, m_device);
  m_observer.onMessage("student tokenizer " + spec + " (" + view->corpus.tokenizer.kind() + ", " +
                       std::to_string(view->corpus.tokenizer.vocabSize()) +
                       " tokens): " + std::to_string(view->corpus.train.size() + view->corpus.val.size()) +
                       " tokens of the corpus");
  m_views.push_back(std::move(view));
  return m_views.back().get();
}

std::unique_ptr<FeatureSetup> ExperimentRun::featureSetupFor(const StudentConfig& student,
                                                             const DistillConfig& d) const {
  if (!d.usesFeatures()) return nullptr;
  const auto& teacher = m_teachers.front().model->spec();
  // Validation checked a configured teacher; one from a checkpoint is checked here.
  if (!teacher.isTransformer())
    throw EngineError("student '" + student.name +
                      "': feature losses need a transformer teacher (the checkpoint holds " +
                      nameOf(teacher.arch) + ")");
  for (int layer : d.layer_map) {
    if (layer > teacher.layers)
      throw EngineError("student '" + student.name + "': layer_map names teacher layer " +
                        std::to_string(layer) + " but the teacher has " + std::to_string(teacher.layers));
  }
  auto setup = std::make_unique<FeatureSetup>();
  setup->layerMap = resolveLayerMap(d.layer_map, student.model.layers, teacher.layers);
  setup->projector = FeatureProjector(student.model.layers, student.model.embd, teacher.embd);
  setup->projector->to(m_device);
  return setup;
}

void ExperimentRun::synchronizeWeights() {
  // Seeds make the ranks' initial weights equal already; the broadcast guarantees it (and covers a
  // teacher that a rank read from a different copy of its file).
  std::vector<torch::Tensor> weights;
  for (auto& t : m_teachers)
    for (const auto& p : t.model->parameters()) weights.push_back(p);
  for (auto& m : m_students)
    for (const auto& p : m.trainer->parameters()) weights.push_back(p);
  m_group->broadcast(weights, 0);
  // Dropout masks come from LibTorch's default generator, equal on every rank so far: each rank
  // gets its own stream (derived from the seed, rank and resumed step, so runs stay repeatable).
  if (!lead()) {
    const int resumed = m_resume ? m_resume->step : 0;
    torch::manual_seed(static_cast<uint64_t>(m_config.train.seed) * 1000003ULL +
                       static_cast<uint64_t>(m_group->rank()) * 7919ULL + static_cast<uint64_t>(resumed));
  }
}

}  // namespace distill
