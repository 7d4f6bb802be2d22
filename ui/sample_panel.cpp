#include "sample_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>
#include <algorithm>
#include <set>

#include "distill/text_metrics.h"
#include "form_widgets.h"
#include "held_out_answers_view.h"
#include "token_view.h"

namespace distill {

namespace {

/// Teachers first, then each student's distilled model beside its scratch twin.
std::vector<std::string> comparisonOrder(std::vector<std::string> models) {
  std::stable_sort(models.begin(), models.end(), [](const std::string& a, const std::string& b) {
    auto rank = [](const std::string& m) { return isTeacherName(m) ? 0 : 1; };
    return rank(a) < rank(b);
  });
  return models;
}

std::vector<ComparedSample> generateAll(const QString& runDir, int repeat, const QString& prompt,
                                        const SamplingOptions& options, const std::atomic<bool>& cancel) {
  std::vector<ComparedSample> out;
  const auto models = comparisonOrder(modelsInRun(runDir.toStdString(), repeat));
  // An ensemble's first member shades every sample (the one teacher otherwise).
  const std::string reference = firstTeacherOf(models);
  std::unique_ptr<TextGenerator> teacher;
  try {
    teacher = std::make_unique<TextGenerator>(checkpointPathFor(runDir.toStdString(), reference, repeat));
  } catch (const std::exception&) {
    // No teacher checkpoint (yet): samples still generate, without the teacher's view.
  }
  QString teacherText;
  for (const auto& model : models) {
    if (cancel) break;
    ComparedSample sample;
    sample.model = QString::fromStdString(model);
    try {
      TextGenerator generator(checkpointPathFor(runDir.toStdString(), model, repeat));
      const auto result = generator.generate(prompt.toStdString(), options);
      sample.text = QString::fromStdString(result.text);
      sample.tokensPerSecond = result.tokensPerSecond;
      if (teacher) {
        sample.teacherScores = teacher->score(prompt.toStdString(), result.text);
        std::vector<double> logProbs;
        for (const auto& s : sample.teacherScores) logProbs.push_back(s.logProb);
        sample.teacherPerplexity = perplexityFromLogProbs(logProbs);
      }
      sample.distinct2 = distinctN(result.text, 2);
      if (model == reference) teacherText = sample.text;
      sample.rougeLWithTeacher = rougeL(result.text, teacherText.toStdString());
    } catch (const std::exception& e) {
      sample.error = QString::fromUtf8(e.what());
    }
    out.push_back(std::move(sample));
  }
  return out;
}

}  // namespace

SamplePanel::SamplePanel(ModelPalette* palette, QWidget* parent) : QWidget(parent), m_palette(palette) {
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(buildControls());
  m_source = new ElidedLabel(this);
  m_source->setObjectName("sampleSource");
  m_source->setFullText(tr("Generate uses: no run yet (start one, or open one in the Runs tab)"));
  layout->addWidget(m_source);
  m_status = new QLabel(tr("Open or finish a run to generate from its models."), this);
  m_status->setStyleSheet("color: #555;");
  layout->addWidget(m_status);

  layout->addWidget(buildPanes(), 1);
}

QHBoxLayout* SamplePanel::buildControls() {
  auto* controls = new QHBoxLayout;
  m_prompt = new QLineEdit("ROMEO:", this);
  m_prompt->setToolTip(tr("Every model continues this text (\\n for a new line)"));
  m_maxTokens = makeIntBox(1, 5000, tr("Tokens to generate"), this);
  m_maxTokens->setValue(200);
  m_greedy = new QCheckBox(tr("Greedy"), this);
  m_greedy->setToolTip(tr("Always take the most likely token (temperature, top-k and top-p are ignored)"));
  m_temperature = makeDoubleBox(0.0, 5.0, 2, 0.1, tr("Sampling temperature"), this);
  m_temperature->setValue(0.8);
  m_topK = makeIntBox(0, 100000, tr("Sample among the k most likely tokens"), this);
  m_topK->setValue(40);
  m_topK->setSpecialValueText(tr("off"));
  m_topP = makeDoubleBox(0.01, 1.0, 2, 0.05, tr("Nucleus sampling mass (1: off)"), this);
  m_topP->setValue(1.0);
  m_seed = makeIntBox(0, 2147483647, tr("Sampling seed: the same seed gives the same samples"), this);
  m_seed->setValue(42);
  m_generate = new QPushButton(tr("Generate"), this);
  m_generate->setToolTip(tr("Generate from the teacher, each distilled student and its scratch twin"));
  m_onlyDifferences = new QCheckBox(tr("Only differences"), this);
  m_onlyDifferences->setObjectName("onlyDifferences");
  m_onlyDifferences->setToolTip(
      tr("Dim the tokens a student shares with the teacher's text. Compares greedy "
         "continuations: on sampled text the differences are mostly chance draws"));
  connect(m_generate, &QPushButton::clicked, this, &SamplePanel::generate);
  connect(m_prompt, &QLineEdit::returnPressed, this, &SamplePanel::generate);
  connect(m_onlyDifferences, &QCheckBox::toggled, this, [this](bool on) {
    // Two sampled texts part ways at the first different draw, after which every letter
    // "differs": the comparison means something for greedy decoding only.
    if (on && !m_greedy->isChecked()) {
      m_greedy->setChecked(true);
      if (!m_runDir.isEmpty() && !isGenerating()) {
        m_status->setText(tr("Only differences compares greedy continuations: generating them again…"));
        generate();
        return;
      }
    }
    render();
  });
  connect(m_greedy, &QCheckBox::toggled, this, [this](bool on) {
    for (QWidget* w : std::initializer_list<QWidget*>{m_temperature, m_topK, m_topP}) w->setEnabled(!on);
  });
  controls->addWidget(new QLabel(tr("Prompt"), this));
  controls->addWidget(m_prompt, 1);
  controls->addWidget(new QLabel(tr("Tokens"), this));
  controls->addWidget(m_maxTokens);
  controls->addWidget(m_greedy);
  controls->addWidget(new QLabel(tr("T"), this));
  controls->addWidget(m_temperature);
  controls->addWidget(new QLabel(tr("top-k"), this));
  controls->addWidget(m_topK);
  controls->addWidget(new QLabel(tr("top-p"), this));
  controls->addWidget(m_topP);
  controls->addWidget(new QLabel(tr("seed"), this));
  controls->addWidget(m_seed);
  // A run with repeats (train.repeats): which repeat's models generate and whose training samples
  // show. Hidden for a run trained once.
  m_repeat = new QComboBox(this);
  m_repeat->setObjectName("repeat");
  m_repeat->setToolTip(tr("The repeat (seed) whose models generate and whose training samples are listed"));
  m_repeat->hide();
  connect(m_repeat, &QComboBox::currentIndexChanged, this, &SamplePanel::refreshTrainingView);
  controls->addWidget(m_repeat);
  controls->addWidget(m_generate);
  controls->addWidget(m_onlyDifferences);
  return controls;
}

QSplitter* SamplePanel::buildPanes() {
  auto* splitter = new QSplitter(Qt::Vertical, this);
  // The teacher's pane stays pinned above the students' while they scroll.
  auto* top = new QWidget(splitter);
  auto* topLayout = new QVBoxLayout(top);
  topLayout->setContentsMargins(0, 0, 0, 0);
  m_teacherSlot = new QHBoxLayout;  // an ensemble's teachers side by side
  topLayout->addLayout(m_teacherSlot);
  auto* scroll = new QScrollArea(top);
  scroll->setWidgetResizable(true);
  m_panes = new QWidget(scroll);
  m_grid = new QGridLayout(m_panes);
  scroll->setWidget(m_panes);
  topLayout->addWidget(scroll, 1);

  auto* training = buildTrainingSamples(splitter);
  m_heldOut = new HeldOutAnswersView(splitter);
  connect(m_heldOut, &HeldOutAnswersView::promptChosen, this, [this](const QString& prompt) {
    m_prompt->setText(QString(prompt).replace("\n", "\\n"));
    generate();
  });
  splitter->addWidget(top);
  splitter->addWidget(m_heldOut);
  splitter->addWidget(training);
  splitter->setStretchFactor(0, 3);
  splitter->setStretchFactor(1, 2);
  splitter->setStretchFactor(2, 1);
  splitter->setSizes({440, 260, 180});
  return splitter;
}

QGroupBox* SamplePanel::buildTrainingSamples(QWidget* parent) {
  auto* training = new QGroupBox(tr("Samples recorded during training"), parent);
  auto* trainingLayout = new QVBoxLayout(training);
  auto* pick = new QHBoxLayout;
  m_trainingStep = new QComboBox(training);
  m_trainingStep->setObjectName("trainingStep");
  m_trainingStep->setToolTip(tr("The evaluation step the samples were taken at"));
  m_trainingPrompt = new QComboBox(training);
  m_trainingPrompt->setToolTip(tr("The prompt they continue"));
  pick->addWidget(new QLabel(tr("Step"), training));
  pick->addWidget(m_trainingStep);
  pick->addWidget(new QLabel(tr("Prompt"), training));
  pick->addWidget(m_trainingPrompt, 1);
  m_trainingText = new QPlainTextEdit(training);
  m_trainingText->setReadOnly(true);
  m_trainingText->setFont(QFont("Monospace", 9));
  trainingLayout->addLayout(pick);
  trainingLayout->addWidget(m_trainingText, 1);
  connect(m_trainingStep, &QComboBox::currentIndexChanged, this, &SamplePanel::refreshTrainingView);
  connect(m_trainingPrompt, &QComboBox::currentIndexChanged, this, &SamplePanel::refreshTrainingView);
  return training;
}

SamplePanel::~SamplePanel() {
  m_cancel = true;
  joinWorker();
}

void SamplePanel::joinWorker() { m_worker.wait(); }

void SamplePanel::setRunDirectory(const QString& dir) {
  m_runDir = dir;
  m_heldOut->load(dir);
  // Prompt/response models know the examples' characters only: offer them a held-out prompt.
  if (const QString prompt = m_heldOut->firstPrompt(); !prompt.isEmpty())
    m_prompt->setText(QString(prompt).replace("\n", "\\n"));
  m_source->setFullText(tr("Generate uses the checkpoints of %1").arg(dir));
  const auto models = modelsInRun(dir.toStdString());
  m_repeat->clear();
  for (int r = 1; r <= repeatsInRun(dir.toStdString()); ++r) offerRepeat(r);
  m_status->setText(models.empty() ? tr("No checkpoints in %1 yet.").arg(dir)
                                   : tr("%1 models in %2").arg(models.size()).arg(dir));
}

void SamplePanel::setDefaults(const QString& prompt, const SamplingOptions& o) {
  m_prompt->setText(QString(prompt).replace("\n", "\\n"));
  m_maxTokens->setValue(o.maxNewTokens);
  m_temperature->setValue(o.temperature);
  m_topK->setValue(o.topK);
  m_topP->setValue(o.topP);
  m_seed->setValue(static_cast<int>(o.seed));
}

SamplingOptions SamplePanel::options() const {
  SamplingOptions o;
  o.maxNewTokens = m_maxTokens->value();
  o.greedy = m_greedy->isChecked();
  o.temperature = m_temperature->value();
  o.topK = m_topK->value();
  o.topP = m_topP->value();
  o.seed = static_cast<uint64_t>(m_seed->value());
  return o;
}

void SamplePanel::generate() {
  if (m_worker.busy() || m_runDir.isEmpty()) return;
  const quint64 job = ++m_job;
  const QString dir = m_runDir;
  const int repeat = currentRepeat();
  const QString prompt = m_prompt->text().replace("\\n", "\n");
  const auto opts = options();
  m_cancel = false;
  m_generate->setEnabled(false);
  m_status->setText(tr("Generating…"));
  std::atomic<bool>* cancel = &m_cancel;
  m_worker.start(
      this, [dir, repeat, prompt, opts, cancel] { return generateAll(dir, repeat, prompt, opts, *cancel); },
      [this, job](std::vector<ComparedSample> results) { onResults(job, results); });
}

void SamplePanel::onResults(quint64 job, const std::vector<ComparedSample>& samples) {
  joinWorker();
  m_generate->setEnabled(true);
  if (job != m_job) return;
  m_results = samples;
  const QString reference = QString::fromStdString(firstTeacherOf(shownNames()));
  m_status->setText(samples.empty() ? tr("No checkpoints found in %1").arg(m_runDir)
                                    : tr("Prompt continued by %1 models. Shading: how likely %2 finds "
                                         "each token (hover for its top-5).")
                                          .arg(samples.size())
                                          .arg(reference == "teacher" ? tr("the teacher") : reference));
  render();
  emit generationFinished();
}

QString SamplePanel::statsFor(const QString& model) const {
  const auto* label = m_stats.value(model);
  return label ? label->text() : QString();
}

QList<QString> SamplePanel::shownModels() const {
  QList<QString> models;
  for (const auto& s : m_results)
    if (m_views.contains(s.model)) models << s.model;
  return models;
}

std::vector<std::string> SamplePanel::shownNames() const {
  std::vector<std::string> names;
  for (const auto& s : m_results) names.push_back(s.model.toStdString());
  return names;
}

bool SamplePanel::teacherIsPinned() const {
  const auto* view = m_views.value(QString::fromStdString(firstTeacherOf(shownNames())));
  return view && m_teacherSlot->indexOf(view->parentWidget()) >= 0;
}

bool SamplePanel::isGreedy() const { return m_greedy->isChecked(); }

void SamplePanel::render() {
  // Rebuild the panes: teacher on top across, then one row per student (distilled | scratch).
  for (auto* view : m_views) view->parentWidget()->deleteLater();
  m_views.clear();
  m_stats.clear();
  const std::vector<TokenScore>* teacherTokens = nullptr;
  double teacherRate = 0.0;
  const QString reference = QString::fromStdString(firstTeacherOf(shownNames()));
  for (const auto& s : m_results) {
    if (s.model != reference) continue;
    teacherTokens = &s.teacherScores;
    teacherRate = s.tokensPerSecond;
  }
  int row = 0;
  QHash<QString, int> studentRow;
  for (const auto& s : m_results) {
    auto* box = new QGroupBox(m_panes);
    const QColor color = m_palette->color(s.model);
    QString title = QString("%1   ·   %2 tok/s").arg(s.model).arg(s.tokensPerSecond, 0, 'f', 0);
    // How much faster the student generates than its teacher: the point of distilling it.
    if (s.model != reference && teacherRate > 0.0 && s.tokensPerSecond > 0.0)
      title += QString("   ·   %1× %2")
                   .arg(s.tokensPerSecond / teacherRate, 0, 'f', 1)
                   .arg(reference == "teacher" ? tr("the teacher") : reference);
    box->setTitle(title);
    box->setStyleSheet(
        QString("QGroupBox { border: 2px solid %1; border-radius: 4px; margin-top: 10px; font-weight: bold; }"
                "QGroupBox::title { subcontrol-origin: margin; left: 8px; color: %1; }")
            .arg(color.name()));
    auto* v = new QVBoxLayout(box);
    auto* view = new TokenView(box);
    view->setMinimumHeight(120);
    auto* stats = new QLabel(box);
    stats->setStyleSheet("color: #333;");
    stats->setWordWrap(true);  // long teacher names must not widen the window
    if (!s.error.isEmpty()) {
      stats->setText(tr("error: %1").arg(s.error));
    } else {
      const QVector<bool> differs = teacherTokens && s.model != reference
                                        ? tokensOutsideCommonSubsequence(s.teacherScores, *teacherTokens)
                                        : QVector<bool>(static_cast<int>(s.teacherScores.size()), false);
      view->setTokens(m_prompt->text().replace("\\n", "\n"), s.teacherScores, differs,
                      m_onlyDifferences->isChecked());
      if (s.teacherScores.empty()) view->setPlainText(s.text);
      stats->setText(
          tr("perplexity under %4 %1   ·   distinct-2 %2   ·   ROUGE-L vs %4 %3")
              .arg(s.teacherPerplexity, 0, 'f', 2)
              .arg(s.distinct2, 0, 'f', 2)
              .arg(s.model == reference ? QString("—") : QString::number(s.rougeLWithTeacher, 'f', 2))
              .arg(reference));
    }
    v->addWidget(view, 1);
    v->addWidget(stats);
    if (isTeacherName(s.model.toStdString())) {
      m_teacherSlot->addWidget(box);
    } else {
      const QString base = studentBaseName(s.model);
      if (!studentRow.contains(base)) studentRow.insert(base, row++);
      m_grid->addWidget(box, studentRow.value(base), s.model.endsWith("-scratch") ? 1 : 0);
    }
    m_views.insert(s.model, view);
    m_stats.insert(s.model, stats);
  }
}

int SamplePanel::currentRepeat() const { return std::max(1, m_repeat->currentData().toInt()); }

void SamplePanel::offerRepeat(int repeat) {
  if (m_repeat->findData(repeat) >= 0) return;
  const bool following = m_repeat->currentIndex() == m_repeat->count() - 1;
  m_repeat->addItem(tr("repeat %1").arg(repeat), repeat);
  if (following) m_repeat->setCurrentIndex(m_repeat->count() - 1);  // a live run: its newest repeat
  m_repeat->setVisible(m_repeat->count() > 1);
}

void SamplePanel::addTrainingSample(const SampleRecord& sample) {
  m_trainingSamples.push_back(sample);
  if (sample.repeat > 0) offerRepeat(sample.repeat);
  const QString step = QString::number(sample.step);
  if (m_trainingStep->findText(step) < 0) {
    m_trainingStep->addItem(step);
    m_trainingStep->setCurrentIndex(m_trainingStep->count() - 1);  // follow the newest evaluation
  }
  const QString prompt = QString::fromStdString(sample.prompt);
  if (m_trainingPrompt->findData(prompt) < 0)
    m_trainingPrompt->addItem(QString(prompt).replace("\n", "\\n"), prompt);
  refreshTrainingView();
}

void SamplePanel::setTrainingSamples(const std::vector<SampleRecord>& samples) {
  m_trainingSamples.clear();
  m_trainingStep->clear();
  m_trainingPrompt->clear();
  m_repeat->clear();  // another run: its own repeats
  for (const auto& s : samples) addTrainingSample(s);
  m_trainingStep->setCurrentIndex(m_trainingStep->count() - 1);
}

void SamplePanel::refreshTrainingView() {
  const int step = m_trainingStep->currentText().toInt();
  const QString prompt = m_trainingPrompt->currentData().toString();
  QString text;
  for (const auto& s : m_trainingSamples) {
    if (s.step != step || QString::fromStdString(s.prompt) != prompt) continue;
    if (s.repeat > 0 && s.repeat != currentRepeat()) continue;
    text += QString("── %1 (step %2) ──\n%3%4\n\n")
                .arg(QString::fromStdString(s.model))
                .arg(s.step)
                .arg(prompt, QString::fromStdString(s.text));
  }
  m_trainingText->setPlainText(text);
}

}  // namespace distill
