#include "experiment_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>
#include <cmath>

#include "background_task.h"
#include "distill/errors.h"
#include "distill/tokenizers.h"
#include "distill_method_editor.h"
#include "form_widgets.h"
#include "sweep/sweep_field_menu.h"
#include "teacher_ensemble_editor.h"
#include "tokenizer_training_dialog.h"

namespace distill {

namespace {

QString human(long long n) {
  if (n >= 1000000) return QString::number(n / 1e6, 'f', 2) + "M";
  if (n >= 1000) return QString::number(n / 1e3, 'f', 1) + "k";
  return QString::number(n);
}

/// JSD's beta and the skew losses' alpha mean something for their own losses only.
void enableLossParameters(QDoubleSpinBox* beta, QDoubleSpinBox* skew, DistillLoss loss, bool editable) {
  beta->setEnabled(editable && loss == DistillLoss::Jsd);
  skew->setEnabled(editable && (loss == DistillLoss::SkewKl || loss == DistillLoss::SkewReverseKl));
}

QLabel* hint(const QString& text, QWidget* parent) {
  auto* label = new QLabel(text, parent);
  label->setStyleSheet("color: #555;");
  label->setWordWrap(true);
  return label;
}

}  // namespace

ModelSpecEditor::ModelSpecEditor(QWidget* parent) : QWidget(parent) {
  auto* form = new QFormLayout(this);
  form->setContentsMargins(0, 0, 0, 0);
  m_arch = new QComboBox(this);
  fillChoices<Arch>(m_arch);
  m_arch->setToolTip(
      tr("transformer: GPT-style decoder; llama: RMSNorm, rotary positions, grouped-query attention, "
         "SiLU-gated MLP; lstm / gru: recurrent network with an embedding and a linear head"));
  m_layers = makeIntBox("teacher.layers", this);
  m_heads = makeIntBox("teacher.heads", this);
  m_kvHeads = makeIntBox("teacher.kv_heads", this);
  m_kvHeads->setSpecialValueText(tr("= heads"));
  m_embd = makeIntBox("teacher.embd", this);
  m_hidden = makeIntBox("teacher.hidden", this);
  m_hidden->setSpecialValueText(tr("default"));
  m_dropout = makeDoubleBox("teacher.dropout", 2, 0.05, this);
  m_bias = new QCheckBox(tr("biases"), this);
  m_bias->setToolTip(tr("Biases in linear layers and layer norms (transformer)"));
  m_tie = new QCheckBox(tr("tied head"), this);
  m_tie->setToolTip(tr("Share the token embedding matrix with the output head (transformer)"));
  m_info = new QLabel(this);
  m_info->setStyleSheet("font-weight: bold; color: #245;");
  m_info->setWordWrap(true);
  form->addRow(tr("Architecture"), m_arch);
  form->addRow(tr("Layers"), m_layers);
  form->addRow(tr("Heads"), m_heads);
  form->addRow(tr("KV heads"), m_kvHeads);
  form->addRow(tr("Width (embd)"), m_embd);
  form->addRow(tr("Hidden"), m_hidden);
  form->addRow(tr("Dropout"), m_dropout);
  auto* flags = new QHBoxLayout;
  flags->addWidget(m_bias);
  flags->addWidget(m_tie);
  form->addRow(QString(), flags);
  form->addRow(tr("Size"), m_info);
  for (auto* box : {m_layers, m_heads, m_kvHeads, m_embd, m_hidden})
    connect(box, &QSpinBox::valueChanged, this, &ModelSpecEditor::changed);
  connect(m_dropout, &QDoubleSpinBox::valueChanged, this, &ModelSpecEditor::changed);
  connect(m_bias, &QCheckBox::toggled, this, &ModelSpecEditor::changed);
  connect(m_tie, &QCheckBox::toggled, this, &ModelSpecEditor::changed);
  connect(m_arch, &QComboBox::currentTextChanged, this, [this] {
    updateEnabled();
    emit changed();
  });
  updateEnabled();
}

void ModelSpecEditor::updateEnabled() {
  const Arch arch = choiceOf<Arch>(m_arch);
  const bool attention = arch == Arch::Transformer || arch == Arch::Llama;
  const bool shape = m_source == ShapeSource::Free;
  m_arch->setEnabled(shape);
  m_embd->setEnabled(shape);
  m_heads->setEnabled(shape && attention);
  m_kvHeads->setEnabled(shape && arch == Arch::Llama);
  m_bias->setEnabled(shape && attention);
  m_tie->setEnabled(shape && attention);
  m_hidden->setEnabled(shape && arch != Arch::Transformer);
  m_layers->setEnabled(m_source != ShapeSource::Pretrained);
  m_dropout->setEnabled(m_source != ShapeSource::Pretrained);
}

void ModelSpecEditor::setSpec(const ModelSpec& s) {
  const QSignalBlocker blockers[] = {
      QSignalBlocker(m_arch), QSignalBlocker(m_layers), QSignalBlocker(m_heads),
      QSignalBlocker(m_embd), QSignalBlocker(m_hidden), QSignalBlocker(m_dropout),
      QSignalBlocker(m_bias), QSignalBlocker(m_tie),    QSignalBlocker(m_kvHeads)};
  m_shown = s;
  showChoice(m_arch, s.arch);
  m_layers->setValue(s.layers);
  m_heads->setValue(s.heads);
  m_kvHeads->setValue(s.kv_heads);
  m_embd->setValue(s.embd);
  m_hidden->setValue(s.hidden);
  m_dropout->setValue(s.dropout);
  m_bias->setChecked(s.bias);
  m_tie->setChecked(s.tie_weights);
  updateEnabled();
}

ModelSpec ModelSpecEditor::spec() const {
  ModelSpec s = m_shown;
  s.arch = choiceOf<Arch>(m_arch);
  s.layers = m_layers->value();
  s.heads = m_heads->value();
  s.kv_heads = s.arch == Arch::Llama ? m_kvHeads->value() : 0;
  s.embd = m_embd->value();
  s.hidden = m_hidden->value();
  s.dropout = m_dropout->value();
  s.bias = m_bias->isChecked();
  s.tie_weights = m_tie->isChecked();
  return s;
}

void ModelSpecEditor::setInfo(const QString& text) { m_info->setText(text); }

void ModelSpecEditor::setShapeSource(ShapeSource source) {
  if (source == m_source) return;
  m_source = source;
  updateEnabled();
}

QWidget* ModelSpecEditor::field(const QString& key) const {
  const QHash<QString, QWidget*> fields = {
      {"arch", m_arch},        {"layers", m_layers}, {"heads", m_heads},
      {"kv_heads", m_kvHeads}, {"embd", m_embd},     {"hidden", m_hidden},
      {"dropout", m_dropout},  {"bias", m_bias},     {"tie_weights", m_tie}};
  return fields.value(key);
}

ExperimentForm::ExperimentForm(QWidget* parent) : QWidget(parent) {
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);
  m_problemLabel = new QLabel(this);
  m_problemLabel->setObjectName("formProblems");
  m_problemLabel->setWordWrap(true);
  m_problemLabel->setStyleSheet(
      "QLabel { background: #fdecea; color: #8a1c1c; border: 1px solid #e0a0a0; padding: 6px; }");
  m_problemLabel->hide();
  outer->addWidget(m_problemLabel);

  auto* scroll = new QScrollArea(this);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  auto* content = new QWidget(scroll);
  m_content = content;
  auto* layout = new QVBoxLayout(content);
  scroll->setWidget(content);
  outer->addWidget(scroll, 1);

  layout->addWidget(buildLiveBox(content));

  layout->addWidget(buildDataBox(content));

  layout->addWidget(buildTeacherBox(content));

  layout->addWidget(buildStudentsBox(content));

  layout->addWidget(buildDistillBox(content));

  layout->addWidget(buildTrainBox(content));

  layout->addWidget(buildGenerateBox(content));
  layout->addStretch(1);

  connectAndNameFields();

  setConfig(ExperimentConfig{});
}

QGroupBox* ExperimentForm::buildLiveBox(QWidget* content) {
  // Live settings first: the only fields a run takes up while it goes, so they stay enabled and
  // in view during a run while the rest of the form is greyed.
  auto* liveBox = new QGroupBox(tr("Live settings (can change while a run goes)"), content);
  liveBox->setObjectName("liveSettings");
  auto* live = new QFormLayout(liveBox);
  m_lr = makeDoubleBox("train.lr", 6, 1e-4, liveBox);
  m_temperature = makeDoubleBox("distill.temperature", 2, 0.5, liveBox);
  m_alpha = makeDoubleBox("distill.alpha", 2, 0.05, liveBox);
  m_evalInterval = makeIntBox("train.eval_interval", liveBox);
  live->addRow(tr("Learning rate"), m_lr);
  live->addRow(tr("Temperature"), m_temperature);
  live->addRow(tr("Alpha"), m_alpha);
  live->addRow(tr("Eval interval"), m_evalInterval);
  return liveBox;
}

QGroupBox* ExperimentForm::buildDataBox(QWidget* content) {
  // Data
  auto* dataBox = new QGroupBox(tr("Data"), content);
  auto* data = new QFormLayout(dataBox);
  m_corpus = new QLineEdit(dataBox);
  m_corpus->setToolTip(
      tr("A UTF-8 text file, a folder of .txt / .jsonl files or a JSON Lines file (data.text_field); empty "
         "uses the bundled tinyshakespeare. Tokenized once into the runs' token cache."));
  m_corpus->setPlaceholderText(tr("bundled tinyshakespeare.txt"));
  m_corpus->setMinimumWidth(80);
  auto* browse = new QToolButton(dataBox);
  browse->setText("…");
  browse->setToolTip(tr("Choose a corpus file"));
  connect(browse, &QToolButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Corpus"), m_corpus->text(), tr("Text (*.txt);;All files (*)"));
    if (!path.isEmpty()) m_corpus->setText(path);
  });
  auto* corpusRow = new QHBoxLayout;
  corpusRow->addWidget(m_corpus, 1);
  corpusRow->addWidget(browse);
  m_tokenizer = new QComboBox(dataBox);
  m_tokenizer->setEditable(true);
  m_tokenizer->addItems({"char", "teacher"});
  m_tokenizer->setToolTip(
      tr("char: one token per Unicode character seen in the corpus; teacher: the tokenizer in the "
         "imported teacher's folder; or a tokenizer folder / file (vocab.json + merges.txt, "
         "tokenizer.json, SentencePiece .model)"));
  auto* pickTokenizer = new QToolButton(dataBox);
  pickTokenizer->setText("…");
  pickTokenizer->setToolTip(tr("Choose a tokenizer folder"));
  connect(pickTokenizer, &QToolButton::clicked, this, [this] {
    const QString dir =
        QFileDialog::getExistingDirectory(this, tr("Tokenizer folder"), m_tokenizer->currentText());
    if (!dir.isEmpty()) m_tokenizer->setCurrentText(dir);
  });
  auto* trainTokenizer = new QToolButton(dataBox);
  trainTokenizer->setText(tr("Train…"));
  trainTokenizer->setObjectName("trainTokenizer");
  trainTokenizer->setToolTip(tr("Train a byte-level BPE or SentencePiece tokenizer on the corpus"));
  connect(trainTokenizer, &QToolButton::clicked, this, [this] {
    const QString corpus = m_corpus->text().trimmed().isEmpty()
                               ? QString::fromStdString(distill::bundledCorpusPath())
                               : m_corpus->text().trimmed();
    auto* dialog = new TokenizerTrainingDialog(corpus, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &TokenizerTrainingDialog::trained, this,
            [this](const QString& folder) { m_tokenizer->setCurrentText(folder); });
    dialog->open();
  });
  auto* tokenizerRow = new QHBoxLayout;
  tokenizerRow->addWidget(m_tokenizer, 1);
  tokenizerRow->addWidget(pickTokenizer);
  tokenizerRow->addWidget(trainTokenizer);
  m_valFraction = makeDoubleBox("data.val_fraction", 3, 0.01, dataBox);
  m_valSplit = new QComboBox(dataBox);
  fillChoices<ValSplit>(m_valSplit);
  m_valSplit->setToolTip(schemaTooltip("data.val_split"));
  auto* splitRow = new QHBoxLayout;
  splitRow->addWidget(m_valFraction, 1);
  splitRow->addWidget(m_valSplit);
  auto* formatRow = buildFormatRow(dataBox);
  m_blockSize = makeIntBox("data.block_size", dataBox);
  m_corpusInfo = hint(QString(), dataBox);
  m_corpusInfo->setObjectName("corpusInfo");
  data->addRow(tr("Corpus"), corpusRow);
  data->addRow(tr("Tokenizer"), tokenizerRow);
  data->addRow(tr("Validation share"), splitRow);
  data->addRow(tr("Format, text field"), formatRow);
  data->addRow(tr("Block size"), m_blockSize);
  data->addRow(m_corpusInfo);
  return dataBox;
}

QHBoxLayout* ExperimentForm::buildFormatRow(QWidget* parent) {
  m_format = new QComboBox(parent);
  fillChoices<DataFormat>(m_format);
  m_format->setToolTip(schemaTooltip("data.format"));
  m_textField = new QLineEdit(parent);
  m_textField->setToolTip(schemaTooltip("data.text_field"));
  // The text field names running text's field; examples name theirs in the YAML (prompt_field, ...).
  connect(m_format, &QComboBox::currentIndexChanged, this,
          [this] { m_textField->setEnabled(choiceOf<DataFormat>(m_format) == DataFormat::Text); });
  auto* row = new QHBoxLayout;
  row->addWidget(m_format);
  row->addWidget(m_textField, 1);
  return row;
}

QGroupBox* ExperimentForm::buildTeacherBox(QWidget* content) {
  // Teacher
  auto* teacherBox = new QGroupBox(tr("Teachers"), content);
  auto* teacher = new QVBoxLayout(teacherBox);
  m_teacher = new ModelSpecEditor(teacherBox);
  m_teacherCheckpoint = new QLineEdit(teacherBox);
  m_teacherCheckpoint->setPlaceholderText(tr("train a new teacher"));
  m_teacherCheckpoint->setToolTip(
      tr("A teacher.pt from an earlier run: reuse it and skip teacher training (its shape wins)"));
  auto* pickCheckpoint = new QToolButton(teacherBox);
  pickCheckpoint->setText("…");
  pickCheckpoint->setToolTip(tr("Choose a teacher checkpoint"));
  connect(pickCheckpoint, &QToolButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Teacher checkpoint"), QString(), tr("Checkpoints (*.pt)"));
    if (!path.isEmpty()) m_teacherCheckpoint->setText(path);
  });
  auto* checkpointRow = new QHBoxLayout;
  checkpointRow->addWidget(new QLabel(tr("Checkpoint"), teacherBox));
  checkpointRow->addWidget(m_teacherCheckpoint, 1);
  checkpointRow->addWidget(pickCheckpoint);
  m_teacherHf = new QLineEdit(teacherBox);
  m_teacherHf->setPlaceholderText(tr("or a Hugging Face model folder"));
  m_teacherHf->setToolTip(
      tr("A local Hugging Face folder (config.json + model.safetensors) of a GPT-2 or Llama-family "
         "model: a pretrained teacher, not trained here (its shape wins)"));
  auto* pickHf = new QToolButton(teacherBox);
  pickHf->setText("…");
  pickHf->setToolTip(tr("Choose a Hugging Face model folder"));
  connect(pickHf, &QToolButton::clicked, this, [this] {
    const QString dir =
        QFileDialog::getExistingDirectory(this, tr("Hugging Face model folder"), m_teacherHf->text());
    if (dir.isEmpty()) return;
    m_teacherHf->setText(dir);
    // Its own tokenizer, when the folder has one, is what its ids mean.
    if (m_tokenizer->currentText() == "char" && distill::folderHasTokenizer(dir.toStdString()))
      m_tokenizer->setCurrentText("teacher");
  });
  auto* hfRow = new QHBoxLayout;
  hfRow->addWidget(new QLabel(tr("Pretrained"), teacherBox));
  hfRow->addWidget(m_teacherHf, 1);
  hfRow->addWidget(pickHf);
  teacher->addWidget(m_teacher);
  teacher->addLayout(checkpointRow);
  teacher->addLayout(hfRow);
  // More teachers below make an ensemble; the box above is its first member.
  m_ensemble = new TeacherEnsembleEditor(teacherBox);
  connect(m_ensemble, &TeacherEnsembleEditor::changed, this, &ExperimentForm::emitChanged);
  teacher->addWidget(m_ensemble);
  return teacherBox;
}

QGroupBox* ExperimentForm::buildStudentsBox(QWidget* content) {
  // Students
  auto* studentsBox = new QGroupBox(tr("Students"), content);
  auto* students = new QVBoxLayout(studentsBox);
  m_students = new QTabWidget(studentsBox);
  m_students->setDocumentMode(true);
  auto* buttons = new QHBoxLayout;
  auto* add = new QPushButton(tr("Add"), studentsBox);
  add->setToolTip(tr("Add a student (trained distilled and from scratch)"));
  auto* duplicate = new QPushButton(tr("Duplicate"), studentsBox);
  duplicate->setToolTip(tr("Copy the selected student"));
  auto* remove = new QPushButton(tr("Remove"), studentsBox);
  remove->setToolTip(tr("Remove the selected student"));
  connect(add, &QPushButton::clicked, this, &ExperimentForm::addStudent);
  connect(duplicate, &QPushButton::clicked, this, &ExperimentForm::duplicateCurrentStudent);
  connect(remove, &QPushButton::clicked, this, &ExperimentForm::removeCurrentStudent);
  buttons->addWidget(add);
  buttons->addWidget(duplicate);
  buttons->addWidget(remove);
  buttons->addStretch(1);
  students->addLayout(buttons);
  students->addWidget(m_students);
  return studentsBox;
}

QGroupBox* ExperimentForm::buildDistillBox(QWidget* content) {
  // Distillation
  auto* distillBox = new QGroupBox(tr("Distillation"), content);
  auto* distill = new QFormLayout(distillBox);
  m_loss = new QComboBox(distillBox);
  fillChoices<DistillLoss>(m_loss);
  m_loss->setToolTip(
      tr("How the student's next-token distribution is pulled towards the teacher's:\n"
         "kl: forward KL(teacher‖student) × T² (Hinton)\n"
         "reverse_kl: KL(student‖teacher) × T² (mode seeking)\n"
         "jsd: generalised Jensen–Shannon with β (β=0 forward, β=1 reverse KL)\n"
         "skew_kl / skew_reverse_kl: KL against a mixture skewed by α (DistiLLM)\n"
         "tvd: total variation distance\n"
         "mse: mean squared error between the logits"));
  m_beta = makeDoubleBox("distill.beta", 2, 0.05, distillBox);
  m_skew = makeDoubleBox("distill.skew", 2, 0.05, distillBox);
  distill->addRow(tr("Loss"), m_loss);
  auto scheduleBox = [distillBox](const QString& tip) {
    auto* box = new QComboBox(distillBox);
    fillChoices<Schedule>(box);
    box->setToolTip(tip);
    return box;
  };
  m_temperatureSchedule =
      scheduleBox(tr("How the temperature moves over the student steps, towards its end value"));
  m_temperatureEnd = makeDoubleBox("distill.temperature_end", 2, 0.5, distillBox);
  m_alphaSchedule = scheduleBox(tr("How alpha moves over the student steps, towards its end value"));
  m_alphaEnd = makeDoubleBox("distill.alpha_end", 2, 0.05, distillBox);
  auto* temperatureRow = new QHBoxLayout;
  temperatureRow->addWidget(m_temperatureSchedule);
  temperatureRow->addWidget(new QLabel(tr("to"), distillBox));
  temperatureRow->addWidget(m_temperatureEnd);
  auto* alphaRow = new QHBoxLayout;
  alphaRow->addWidget(m_alphaSchedule);
  alphaRow->addWidget(new QLabel(tr("to"), distillBox));
  alphaRow->addWidget(m_alphaEnd);
  distill->addRow(tr("Temperature schedule"), temperatureRow);
  distill->addRow(tr("Alpha schedule"), alphaRow);
  for (auto* combo : {m_temperatureSchedule, m_alphaSchedule})
    connect(combo, &QComboBox::currentTextChanged, this, &ExperimentForm::emitChanged);
  m_cacheTopK = makeIntBox("distill.cache_top_k", distillBox);
  m_cacheTopK->setSpecialValueText(tr("off (teacher online)"));
  m_cachePath = new QLineEdit(distillBox);
  m_cachePath->setPlaceholderText(tr("build in the run directory"));
  m_cachePath->setToolTip(
      tr("Reuse a teacher_logits.cache of an earlier run (when it matches these settings)"));
  distill->addRow(tr("Logit cache top-k"), m_cacheTopK);
  distill->addRow(tr("Cache file"), m_cachePath);
  connect(m_cacheTopK, &QSpinBox::valueChanged, this, &ExperimentForm::emitChanged);
  connect(m_cachePath, &QLineEdit::textChanged, this, &ExperimentForm::emitChanged);
  m_method = new DistillMethodEditor("distill", distill, distillBox);
  m_method->hide();  // its fields are rows of this form
  connect(m_method, &DistillMethodEditor::changed, this, &ExperimentForm::emitChanged);
  distill->insertRow(1, tr("JSD beta"), m_beta);
  distill->insertRow(2, tr("Skew alpha"), m_skew);
  connect(m_loss, &QComboBox::currentTextChanged, this, [this] {
    enableLossParameters(m_beta, m_skew, choiceOf<DistillLoss>(m_loss), !m_running);
    emitChanged();
  });
  return distillBox;
}

QGroupBox* ExperimentForm::buildTrainBox(QWidget* content) {
  // Training
  auto* trainBox = new QGroupBox(tr("Training"), content);
  auto* train = new QFormLayout(trainBox);
  m_steps = makeIntBox("train.steps", trainBox);
  m_studentSteps = makeIntBox("train.student_steps", trainBox);
  m_studentSteps->setSpecialValueText(tr("= teacher steps"));
  m_batch = makeIntBox("train.batch_size", trainBox);
  m_minLr = makeDoubleBox("train.min_lr", 6, 1e-5, trainBox);
  m_warmup = makeIntBox("train.warmup_steps", trainBox);
  m_weightDecay = makeDoubleBox("train.weight_decay", 3, 0.01, trainBox);
  m_gradClip = makeDoubleBox("train.grad_clip", 2, 0.1, trainBox);
  m_beta1 = makeDoubleBox("train.beta1", 4, 0.01, trainBox);
  m_beta2 = makeDoubleBox("train.beta2", 4, 0.001, trainBox);
  m_logInterval = makeIntBox("train.log_interval", trainBox);
  m_checkpointInterval = makeIntBox("train.checkpoint_interval", trainBox);
  m_checkpointInterval->setSpecialValueText(tr("at stop only"));
  m_evalBatches = makeIntBox("train.eval_batches", trainBox);
  m_seed = makeIntBox("train.seed", trainBox);
  m_threads = makeIntBox("train.threads", trainBox);
  m_threads->setSpecialValueText(tr("auto"));
  m_processes = makeIntBox("train.processes", trainBox);
  // Typed or picked: auto, cpu, cuda, cuda:N (validation says whether this machine has it).
  m_device = new QComboBox(trainBox);
  m_device->setEditable(true);
  m_device->addItems({"auto", "cpu", "cuda", "cuda:0", "cuda:1"});
  m_device->setToolTip(schemaTooltip("train.device"));
  m_precision = new QComboBox(trainBox);
  fillChoices<Precision>(m_precision);
  m_precision->setToolTip(schemaTooltip("train.precision"));
  auto* computeRow = new QHBoxLayout;
  computeRow->addWidget(m_device, 1);
  computeRow->addWidget(m_precision);
  m_repeats = makeIntBox("train.repeats", trainBox);
  m_repeatTeacher = new QCheckBox(tr("retrain the teacher in each"), trainBox);
  m_repeatTeacher->setToolTip(schemaTooltip("train.repeat_teacher"));
  auto* repeats = new QHBoxLayout;
  repeats->addWidget(m_repeats, 1);
  repeats->addWidget(m_repeatTeacher);
  train->addRow(tr("Teacher steps"), m_steps);
  train->addRow(tr("Student steps"), m_studentSteps);
  train->addRow(tr("Batch size"), m_batch);
  train->addRow(tr("Min learning rate"), m_minLr);
  train->addRow(tr("Warmup steps"), m_warmup);
  train->addRow(tr("Weight decay"), m_weightDecay);
  train->addRow(tr("Gradient clip"), m_gradClip);
  train->addRow(tr("Adam beta1"), m_beta1);
  train->addRow(tr("Adam beta2"), m_beta2);
  train->addRow(tr("Log interval"), m_logInterval);
  train->addRow(tr("Checkpoint interval"), m_checkpointInterval);
  train->addRow(tr("Eval batches"), m_evalBatches);
  train->addRow(tr("Seed"), m_seed);
  train->addRow(tr("Threads"), m_threads);
  train->addRow(tr("Processes"), m_processes);
  train->addRow(tr("Device, precision"), computeRow);
  train->addRow(tr("Repeats (seeds)"), repeats);
  return trainBox;
}

QGroupBox* ExperimentForm::buildGenerateBox(QWidget* content) {
  // Generation
  auto* genBox = new QGroupBox(tr("Samples"), content);
  auto* gen = new QFormLayout(genBox);
  m_prompts = new QPlainTextEdit(genBox);
  m_prompts->setToolTip(tr("One prompt per line; every model continues each at every evaluation"));
  m_prompts->setMaximumHeight(60);
  m_maxTokens = makeIntBox("generate.max_new_tokens", genBox);
  m_genTemperature = makeDoubleBox("generate.temperature", 2, 0.1, genBox);
  m_topK = makeIntBox("generate.top_k", genBox);
  m_topK->setSpecialValueText(tr("off"));
  m_topP = makeDoubleBox("generate.top_p", 2, 0.05, genBox);
  m_genSeed = makeIntBox("generate.seed", genBox);
  gen->addRow(tr("Prompts"), m_prompts);
  gen->addRow(tr("Max new tokens"), m_maxTokens);
  gen->addRow(tr("Temperature"), m_genTemperature);
  gen->addRow(tr("Top-k"), m_topK);
  gen->addRow(tr("Top-p"), m_topP);
  gen->addRow(tr("Seed"), m_genSeed);
  return genBox;
}

void ExperimentForm::connectAndNameFields() {
  for (auto* edit : {m_corpus, m_textField, m_teacherCheckpoint, m_teacherHf})
    connect(edit, &QLineEdit::textChanged, this, &ExperimentForm::emitChanged);
  for (auto* box : {m_valSplit, m_format, m_device, m_precision})
    connect(box, &QComboBox::currentTextChanged, this, &ExperimentForm::emitChanged);
  connect(m_tokenizer, &QComboBox::currentTextChanged, this, &ExperimentForm::emitChanged);
  for (auto* box : {m_blockSize, m_steps, m_studentSteps, m_batch, m_warmup, m_evalInterval, m_evalBatches,
                    m_seed, m_logInterval, m_checkpointInterval, m_threads, m_processes, m_repeats,
                    m_maxTokens, m_topK, m_genSeed})
    connect(box, &QSpinBox::valueChanged, this, &ExperimentForm::emitChanged);
  connect(m_repeatTeacher, &QCheckBox::toggled, this, &ExperimentForm::emitChanged);
  for (auto* box : {m_valFraction, m_temperature, m_alpha, m_beta, m_skew, m_temperatureEnd, m_alphaEnd, m_lr,
                    m_minLr, m_weightDecay, m_gradClip, m_beta1, m_beta2, m_genTemperature, m_topP})
    connect(box, &QDoubleSpinBox::valueChanged, this, &ExperimentForm::emitChanged);
  connect(m_prompts, &QPlainTextEdit::textChanged, this, &ExperimentForm::emitChanged);
  connect(m_teacher, &ModelSpecEditor::changed, this, &ExperimentForm::emitChanged);

  // Object names are the config keys: tests and problem marks find fields by key.
  const QList<QPair<QString, QWidget*>> named = {{"data.corpus", m_corpus},
                                                 {"data.val_fraction", m_valFraction},
                                                 {"data.val_split", m_valSplit},
                                                 {"data.text_field", m_textField},
                                                 {"data.format", m_format},
                                                 {"data.block_size", m_blockSize},
                                                 {"teacher.checkpoint", m_teacherCheckpoint},
                                                 {"teacher.hf", m_teacherHf},
                                                 {"data.tokenizer", m_tokenizer},
                                                 {"distill.loss", m_loss},
                                                 {"distill.temperature", m_temperature},
                                                 {"distill.alpha", m_alpha},
                                                 {"distill.beta", m_beta},
                                                 {"distill.skew", m_skew},
                                                 {"distill.temperature_schedule", m_temperatureSchedule},
                                                 {"distill.temperature_end", m_temperatureEnd},
                                                 {"distill.alpha_schedule", m_alphaSchedule},
                                                 {"distill.alpha_end", m_alphaEnd},
                                                 {"distill.cache_top_k", m_cacheTopK},
                                                 {"distill.cache_path", m_cachePath},
                                                 {"train.steps", m_steps},
                                                 {"train.student_steps", m_studentSteps},
                                                 {"train.batch_size", m_batch},
                                                 {"train.lr", m_lr},
                                                 {"train.min_lr", m_minLr},
                                                 {"train.warmup_steps", m_warmup},
                                                 {"train.weight_decay", m_weightDecay},
                                                 {"train.grad_clip", m_gradClip},
                                                 {"train.beta1", m_beta1},
                                                 {"train.beta2", m_beta2},
                                                 {"train.log_interval", m_logInterval},
                                                 {"train.checkpoint_interval", m_checkpointInterval},
                                                 {"train.eval_interval", m_evalInterval},
                                                 {"train.eval_batches", m_evalBatches},
                                                 {"train.seed", m_seed},
                                                 {"train.threads", m_threads},
                                                 {"train.processes", m_processes},
                                                 {"train.device", m_device},
                                                 {"train.precision", m_precision},
                                                 {"train.repeats", m_repeats},
                                                 {"train.repeat_teacher", m_repeatTeacher},
                                                 {"generate.prompts", m_prompts},
                                                 {"generate.max_new_tokens", m_maxTokens},
                                                 {"generate.temperature", m_genTemperature},
                                                 {"generate.top_k", m_topK},
                                                 {"generate.top_p", m_topP},
                                                 {"generate.seed", m_genSeed}};
  for (const auto& [key, widget] : named) widget->setObjectName(key);
  for (const QString key :
       {"arch", "layers", "heads", "kv_heads", "embd", "hidden", "dropout", "bias", "tie_weights"})
    m_teacher->field(key)->setObjectName("teacher." + key);
  // Every number and choice field can be swept from its context menu.
  for (auto* field : m_content->findChildren<QWidget*>()) {
    const QString key = field->objectName();
    if (key.contains('.'))
      offerSweep(
          field, [key] { return key; }, [this](const QString& k, const QString&) { sweepField(k); });
  }
}

void ExperimentForm::sweepField(const QString& key) {
  if (QWidget* field = widgetForKey(key)) emit sweepRequested(key, sweepValueOf(field));
}

void ExperimentForm::buildStudentPage(const StudentConfig& student) {
  auto* page = new QWidget(m_students);
  auto* layout = new QFormLayout(page);
  auto* name = new QLineEdit(QString::fromStdString(student.name), page);
  name->setObjectName("studentName");
  name->setToolTip(tr("Unique name; the run trains <name>-kd (distilled) and <name>-scratch (its twin)"));
  auto* editor = new ModelSpecEditor(page);
  editor->setObjectName("studentSpec");
  editor->setSpec(student.model);
  auto* tokenizer = new QComboBox(page);
  tokenizer->setObjectName("studentTokenizer");
  tokenizer->setEditable(true);  // or a tokenizer folder / file
  tokenizer->addItems({"teacher", "char"});
  tokenizer->setCurrentText(QString::fromStdString(student.tokenizer));
  tokenizer->setToolTip(schemaTooltip("students.N.tokenizer"));
  layout->addRow(tr("Name"), name);
  layout->addRow(tr("Tokenizer"), tokenizer);
  layout->addRow(editor);
  // Keys the form does not edit (own distillation settings, twin, init seed) travel with the page.
  m_studentExtras.insert(page, student);
  QStringList extras;
  if (student.distill)
    extras << tr("own distillation: loss %1").arg(QString::fromUtf8(nameOf(student.distill->loss)));
  if (!student.scratch_twin) extras << tr("no scratch twin");
  if (student.init_seed >= 0) extras << tr("init seed %1").arg(student.init_seed);
  if (!extras.isEmpty()) {
    auto* note = new QLabel(extras.join(" · ") + tr("  (edit in the YAML tab)"), page);
    note->setStyleSheet("color: #555;");
    note->setWordWrap(true);
    layout->addRow(note);
  }
  const int index = m_students->addTab(page, QString::fromStdString(student.name));
  connect(name, &QLineEdit::textChanged, this, [this, page](const QString& text) {
    m_students->setTabText(m_students->indexOf(page), text);
    emitChanged();
  });
  connect(editor, &ModelSpecEditor::changed, this, &ExperimentForm::emitChanged);
  connect(tokenizer, &QComboBox::currentTextChanged, this, &ExperimentForm::emitChanged);
  for (const QString suffix : {"arch", "layers", "heads", "kv_heads", "embd", "hidden", "dropout"})
    offerSweep(
        editor->field(suffix),
        [this, page, suffix] { return QString("students.%1.%2").arg(m_students->indexOf(page)).arg(suffix); },
        [this](const QString& k, const QString&) { sweepField(k); });
  m_students->setCurrentIndex(index);
}

void ExperimentForm::addStudent() {
  StudentConfig s;
  QStringList names;
  for (const auto& existing : config().students) names << QString::fromStdString(existing.name);
  int i = m_students->count();
  while (names.contains(QString("student%1").arg(i))) ++i;
  s.name = QString("student%1").arg(i).toStdString();
  buildStudentPage(s);
  emitChanged();
}

void ExperimentForm::duplicateCurrentStudent() {
  const auto students = config().students;
  const int index = m_students->currentIndex();
  if (index < 0 || index >= static_cast<int>(students.size())) return;
  StudentConfig copy = students[static_cast<size_t>(index)];
  copy.name += "-copy";
  buildStudentPage(copy);
  emitChanged();
}

void ExperimentForm::removeCurrentStudent() {
  const int index = m_students->currentIndex();
  if (index < 0) return;
  QWidget* page = m_students->widget(index);
  m_students->removeTab(index);
  m_studentExtras.remove(page);
  page->deleteLater();
  emitChanged();
}

void ExperimentForm::setConfig(const ExperimentConfig& c) {
  m_loading = true;
  m_name = QString::fromStdString(c.name);
  m_corpus->setText(QString::fromStdString(c.data.corpus));
  m_tokenizer->setCurrentText(QString::fromStdString(c.data.tokenizer));
  m_valFraction->setValue(c.data.val_fraction);
  showChoice(m_valSplit, c.data.val_split);
  showChoice(m_format, c.data.format);
  m_dataExtras = c.data;
  m_textField->setText(QString::fromStdString(c.data.text_field));
  m_blockSize->setValue(c.data.block_size);
  m_teacher->setSpec(c.teacher.model);
  m_teacherCheckpoint->setText(QString::fromStdString(c.teacher.checkpoint));
  m_teacherHf->setText(QString::fromStdString(c.teacher.hf));
  m_ensemble->setTeachers(c);
  while (m_students->count() > 0) {
    QWidget* page = m_students->widget(0);
    m_students->removeTab(0);
    m_studentExtras.remove(page);
    delete page;
  }
  for (const auto& s : c.students) buildStudentPage(s);
  if (m_students->count() > 0) m_students->setCurrentIndex(0);
  showChoice(m_loss, c.distill.loss);
  m_temperature->setValue(c.distill.temperature);
  m_alpha->setValue(c.distill.alpha);
  m_beta->setValue(c.distill.beta);
  m_skew->setValue(c.distill.skew);
  showChoice(m_temperatureSchedule, c.distill.temperature_schedule);
  m_temperatureEnd->setValue(c.distill.temperature_end);
  showChoice(m_alphaSchedule, c.distill.alpha_schedule);
  m_alphaEnd->setValue(c.distill.alpha_end);
  m_cacheTopK->setValue(c.distill.cache_top_k);
  m_cachePath->setText(QString::fromStdString(c.distill.cache_path));
  m_method->setSettings(c.distill);
  m_distillExtras = c.distill;
  enableLossParameters(m_beta, m_skew, c.distill.loss, true);
  const auto& t = c.train;
  m_steps->setValue(t.steps);
  m_studentSteps->setValue(t.student_steps);
  m_batch->setValue(t.batch_size);
  m_lr->setValue(t.lr);
  m_minLr->setValue(t.min_lr);
  m_warmup->setValue(t.warmup_steps);
  m_weightDecay->setValue(t.weight_decay);
  m_gradClip->setValue(t.grad_clip);
  m_beta1->setValue(t.beta1);
  m_beta2->setValue(t.beta2);
  m_logInterval->setValue(t.log_interval);
  m_checkpointInterval->setValue(t.checkpoint_interval);
  m_evalInterval->setValue(t.eval_interval);
  m_evalBatches->setValue(t.eval_batches);
  m_seed->setValue(t.seed);
  m_threads->setValue(t.threads);
  m_processes->setValue(t.processes);
  m_device->setCurrentText(QString::fromStdString(t.device));
  showChoice(m_precision, t.precision);
  m_repeats->setValue(t.repeats);
  m_repeatTeacher->setChecked(t.repeat_teacher);
  QStringList prompts;
  for (const auto& p : c.generate.prompts) prompts << QString::fromStdString(p).replace("\n", "\\n");
  m_prompts->setPlainText(prompts.join('\n'));
  m_maxTokens->setValue(c.generate.max_new_tokens);
  m_genTemperature->setValue(c.generate.temperature);
  m_topK->setValue(c.generate.top_k);
  m_topP->setValue(c.generate.top_p);
  m_genSeed->setValue(c.generate.seed);
  m_loading = false;
  refreshInfo();
  emit configShown();
}

ExperimentConfig ExperimentForm::config() const {
  ExperimentConfig c;
  c.name = m_name.isEmpty() ? c.name : m_name.toStdString();
  c.data = m_dataExtras;
  c.data.format = choiceOf<distill::DataFormat>(m_format);
  c.data.corpus = m_corpus->text().trimmed().toStdString();
  c.data.tokenizer = m_tokenizer->currentText().trimmed().toStdString();
  c.data.val_fraction = m_valFraction->value();
  c.data.val_split = choiceOf<ValSplit>(m_valSplit);
  c.data.text_field = m_textField->text().trimmed().toStdString();
  c.data.block_size = m_blockSize->value();
  c.teacher.model = m_teacher->spec();
  c.teacher.checkpoint = m_teacherCheckpoint->text().trimmed().toStdString();
  c.teacher.hf = m_teacherHf->text().trimmed().toStdString();
  for (int i = 0; i < m_students->count(); ++i) {
    auto* page = m_students->widget(i);
    StudentConfig s = m_studentExtras.value(page);
    s.name = page->findChild<QLineEdit*>("studentName")->text().trimmed().toStdString();
    s.model = page->findChild<ModelSpecEditor*>("studentSpec")->spec();
    s.tokenizer = page->findChild<QComboBox*>("studentTokenizer")->currentText().trimmed().toStdString();
    c.students.push_back(s);
  }
  c.distill = m_distillExtras;
  m_method->applyTo(c.distill);
  c.distill.loss = choiceOf<DistillLoss>(m_loss);
  c.distill.temperature = m_temperature->value();
  c.distill.alpha = m_alpha->value();
  c.distill.beta = m_beta->value();
  c.distill.skew = m_skew->value();
  c.distill.temperature_schedule = choiceOf<Schedule>(m_temperatureSchedule);
  c.distill.temperature_end = m_temperatureEnd->value();
  c.distill.alpha_schedule = choiceOf<Schedule>(m_alphaSchedule);
  c.distill.alpha_end = m_alphaEnd->value();
  c.distill.cache_top_k = m_cacheTopK->value();
  c.distill.cache_path = m_cachePath->text().trimmed().toStdString();
  m_ensemble->applyTo(c);
  auto& t = c.train;
  t.steps = m_steps->value();
  t.student_steps = m_studentSteps->value();
  t.batch_size = m_batch->value();
  t.lr = m_lr->value();
  t.min_lr = m_minLr->value();
  t.warmup_steps = m_warmup->value();
  t.weight_decay = m_weightDecay->value();
  t.grad_clip = m_gradClip->value();
  t.beta1 = m_beta1->value();
  t.beta2 = m_beta2->value();
  t.log_interval = m_logInterval->value();
  t.checkpoint_interval = m_checkpointInterval->value();
  t.eval_interval = m_evalInterval->value();
  t.eval_batches = m_evalBatches->value();
  t.seed = m_seed->value();
  t.threads = m_threads->value();
  t.processes = m_processes->value();
  t.device = m_device->currentText().trimmed().toStdString();
  t.precision = choiceOf<Precision>(m_precision);
  t.repeats = m_repeats->value();
  t.repeat_teacher = m_repeatTeacher->isChecked();
  c.generate.prompts.clear();
  for (const auto& line : m_prompts->toPlainText().split('\n', Qt::SkipEmptyParts))
    c.generate.prompts.push_back(QString(line).replace("\\n", "\n").toStdString());
  c.generate.max_new_tokens = m_maxTokens->value();
  c.generate.temperature = m_genTemperature->value();
  c.generate.top_k = m_topK->value();
  c.generate.top_p = m_topP->value();
  c.generate.seed = m_genSeed->value();
  return c;
}

void ExperimentForm::emitChanged() {
  if (m_loading) return;
  refreshInfo();
  emit changed();
}

void ExperimentForm::refreshInfo() {
  const auto c = config();
  refreshCorpusFacts(c);
  refreshPretrainedShape(c);
  refreshModelSizes(c);
  refreshProblems(c);
}

namespace {

/// The keys that change what a prompt/response corpus reads ("" for running text).
QString examplesKey(const DataConfig& d) {
  if (!d.examples()) return {};
  return QStringList{nameOf(d.format),
                     QString::fromStdString(d.prompt_field),
                     QString::fromStdString(d.response_field),
                     QString::fromStdString(d.messages_field),
                     QString::fromStdString(d.response_end),
                     QString::fromStdString(d.val_corpus),
                     nameOf(d.bad_records)}
      .join('|');
}

}  // namespace

void ExperimentForm::refreshCorpusFacts(const ExperimentConfig& c) {
  const QString key = QString("%1|%2|%3|%4|%5|%6|%7")
                          .arg(QString::fromStdString(c.data.corpus))
                          .arg(c.data.val_fraction)
                          .arg(c.data.block_size)
                          .arg(QString::fromStdString(c.data.tokenizer), QString::fromStdString(c.teacher.hf),
                               QString(nameOf(c.data.val_split)), QString::fromStdString(c.data.text_field)) +
                      examplesKey(c.data);
  if (key != m_corpusKey) {
    // Reading and tokenizing a corpus takes seconds for a big one: never on the GUI thread.
    m_corpusKey = key;
    m_corpusFacts = {};
    m_corpusError.clear();
    m_inspectingCorpus = true;
    m_corpusProgress.clear();
    struct Inspection {
      CorpusInfo facts;
      QString error;
    };
    CorpusOptions options;
    options.cacheDir = m_tokenCacheFolder.toStdString();
    // Progress crosses to the GUI thread as a queued call, at most once per percent.
    QPointer<QObject> guard(this);
    ExperimentForm* form = this;  // touched only on the GUI thread, once `guard` says it is alive
    auto percentShown = std::make_shared<int>(-1);
    options.progress = [guard, form, key, percentShown](const CorpusProgress& p) {
      const int percent = p.totalBytes > 0 ? static_cast<int>(100 * p.doneBytes / p.totalBytes) : 0;
      if (percent == *percentShown) return;
      *percentShown = percent;
      callOnGuiThread(guard, [form, key, stage = p.stage, percent] {
        if (key != form->m_corpusKey || !form->m_inspectingCorpus) return;
        form->m_corpusProgress = tr("%1 the corpus… %2 %").arg(QString::fromStdString(stage)).arg(percent);
        form->m_corpusInfo->setText(form->m_corpusProgress);
      });
    };
    m_corpusInspections.start(
        this,
        [data = c.data, teacher = c.teacher, options](const std::atomic<bool>& cancelled) mutable {
          Inspection out;
          options.cancelled = [&cancelled] { return cancelled.load(); };
          try {
            out.facts = inspectCorpus(data, teacher, options);
          } catch (const std::exception& e) {
            out.error = QString::fromUtf8(e.what());
          }
          return out;
        },
        [this, key](Inspection inspection) {
          if (key != m_corpusKey) return;  // the settings moved on; a newer inspection is coming
          m_inspectingCorpus = false;
          m_corpusFacts = inspection.facts;
          m_corpusError = inspection.error;
          refreshInfo();
        });
  }
  if (m_inspectingCorpus) {
    m_corpusInfo->setText(m_corpusProgress.isEmpty() ? tr("inspecting the corpus…") : m_corpusProgress);
    return;
  }
  const QLocale locale;
  m_corpusInfo->setText(
      m_corpusError.isEmpty()
          ? tr("%1 bytes · %2 · %3 tokens · vocabulary %4\n%5 train / %6 validation tokens")
                    .arg(locale.toString(m_corpusFacts.bytes),
                         choiceOf<DataFormat>(m_format) != DataFormat::Text
                             ? tr("%1 examples").arg(locale.toString(m_corpusFacts.documents))
                         : m_corpusFacts.documents == 1
                             ? tr("1 document")
                             : tr("%1 documents").arg(locale.toString(m_corpusFacts.documents)),
                         locale.toString(m_corpusFacts.characters))
                    .arg(m_corpusFacts.vocabSize)
                    .arg(locale.toString(m_corpusFacts.trainTokens),
                         locale.toString(m_corpusFacts.valTokens)) +
                (m_corpusFacts.note.empty() ? QString() : "\n" + QString::fromStdString(m_corpusFacts.note))
          : QString());
}

void ExperimentForm::refreshPretrainedShape(const ExperimentConfig& c) {
  // An imported teacher's shape comes from its config.json (a small file, read once per folder;
  // the weights are not touched).
  const QString hf = QString::fromStdString(c.teacher.hf);
  if (hf == m_pretrainedKey) return;
  m_pretrainedKey = hf;
  m_pretrained = {};
  m_pretrainedError.clear();
  try {
    if (!hf.isEmpty()) m_pretrained = readPretrainedShape(c.teacher.hf);
  } catch (const std::exception& e) {
    m_pretrainedError = QString::fromUtf8(e.what());
  }
}

void ExperimentForm::refreshModelSizes(const ExperimentConfig& c) {
  const bool imported = m_pretrained.parameters > 0;
  long long vocab = m_corpusFacts.vocabSize > 0 ? m_corpusFacts.vocabSize : 65;
  if (imported) vocab = m_pretrained.vocabSize;  // students predict over the teacher's ids
  const long long teacherParams =
      imported ? m_pretrained.parameters : parameterCount(c.teacher.model, vocab, c.data.block_size);
  if (imported) {
    const auto& t = m_pretrained.spec;
    m_teacher->setInfo(tr("imported %1: %2 layers × %3 heads × %4 wide, %5 parameters")
                           .arg(QString::fromStdString(m_pretrained.modelType))
                           .arg(t.layers)
                           .arg(t.heads)
                           .arg(t.embd)
                           .arg(human(teacherParams)));
  } else {
    m_teacher->setInfo(!c.teacher.hf.empty()           ? tr("not readable: see the problem above")
                       : !c.teacher.checkpoint.empty() ? tr("from checkpoint (its shape wins)")
                                                       : tr("%1 parameters").arg(human(teacherParams)));
  }
  if (!m_running)
    m_teacher->setShapeSource(c.teacher.pretrained() ? ModelSpecEditor::ShapeSource::Pretrained
                                                     : ModelSpecEditor::ShapeSource::Free);
  for (int i = 0; i < m_students->count() && i < static_cast<int>(c.students.size()); ++i)
    showStudentSize(i, c.students[static_cast<size_t>(i)], vocab, c.data.block_size, teacherParams);
}

void ExperimentForm::showStudentSize(int page, const StudentConfig& student, long long vocab, int blockSize,
                                     long long teacherParams) {
  auto* editor = m_students->widget(page)->findChild<ModelSpecEditor*>("studentSpec");
  if (!m_running)
    editor->setShapeSource(student.init_from_teacher ? ModelSpecEditor::ShapeSource::TeacherWithOwnDepth
                                                     : ModelSpecEditor::ShapeSource::Free);
  const bool imported = m_pretrained.parameters > 0;
  if (student.init_from_teacher && !imported) {
    editor->setInfo(tr("the teacher's architecture and widths with %1 of its layers, initialised from them")
                        .arg(student.model.layers));
    return;
  }
  ModelSpec shape = student.model;
  if (student.init_from_teacher) {
    shape = m_pretrained.spec;
    shape.layers = student.model.layers;
  }
  const long long params = parameterCount(shape, vocab, blockSize);
  const double smaller = double(teacherParams) / double(std::max(1LL, params));
  if (student.init_from_teacher) {
    editor->setInfo(tr("the teacher's %1, %2 wide, %3 of its %4 layers: %5 parameters · %6× smaller")
                        .arg(QString::fromUtf8(nameOf(shape.arch)))
                        .arg(shape.embd)
                        .arg(shape.layers)
                        .arg(m_pretrained.spec.layers)
                        .arg(human(params))
                        .arg(smaller, 0, 'f', 1));
    return;
  }
  editor->setInfo(
      tr("%1 parameters · %2× smaller than the teacher").arg(human(params)).arg(smaller, 0, 'f', 1));
}

void ExperimentForm::refreshProblems(const ExperimentConfig& c) {
  auto problems = validateExperiment(c);
  if (!m_corpusError.isEmpty()) problems.push_back({"data.corpus", 0, 0, m_corpusError.toStdString()});
  if (!m_pretrainedError.isEmpty()) problems.push_back({"teacher.hf", 0, 0, m_pretrainedError.toStdString()});
  if (c.students.empty()) problems.push_back({"students", 0, 0, "add at least one student to distill"});
  const bool wasValid = m_problems.isEmpty();
  m_problems.clear();
  for (const auto& p : problems) m_problems << QString::fromStdString(p.key + ": " + p.message);
  markProblems(problems);
  showProblems();
  if (wasValid != m_problems.isEmpty()) emit validityChanged(m_problems.isEmpty());
}

QWidget* ExperimentForm::widgetForKey(const QString& key) const {
  if (key == "students") return m_students;
  if (auto* w = findChild<QWidget*>(key)) return w;
  const QStringList parts = key.split('.');
  if (parts.size() == 3 && parts[0] == "students") {
    QWidget* page = m_students->widget(parts[1].toInt());
    if (!page) return nullptr;
    if (parts[2] == "name") return page->findChild<QLineEdit*>("studentName");
    return page->findChild<ModelSpecEditor*>("studentSpec")->field(parts[2]);
  }
  return nullptr;
}

void ExperimentForm::markProblems(const std::vector<ConfigProblem>& problems) {
  for (QWidget* w : m_marked) {
    w->setStyleSheet(QString());
    w->setToolTip(w->property("plainToolTip").toString());
  }
  m_marked.clear();
  for (const auto& p : problems) {
    QWidget* w = widgetForKey(QString::fromStdString(p.key));
    if (!w || m_marked.contains(w)) continue;
    w->setProperty("plainToolTip", w->toolTip());
    w->setStyleSheet("border: 1px solid #d33; background: #fff3f3;");
    w->setToolTip(QString::fromStdString(p.message));
    m_marked << w;
  }
}

void ExperimentForm::setYamlProblem(const QString& problem) {
  if (problem == m_yamlProblem) return;
  m_yamlProblem = problem;
  // Locked, not overwritten: a form edit would replace the user's YAML text with the form's.
  m_content->setEnabled(problem.isEmpty());
  showProblems();
}

void ExperimentForm::showProblems() {
  QStringList lines;
  if (!m_yamlProblem.isEmpty())
    lines << tr("%1 — fix it in the YAML tab, or discard those edits there; the form is locked until then so "
                "that nothing replaces your text.")
                 .arg(m_yamlProblem)
                 .toHtmlEscaped();
  for (const auto& p : m_problems) lines << p.toHtmlEscaped();
  m_problemLabel->setVisible(!lines.isEmpty());
  m_problemLabel->setText(tr("<b>Fix before starting:</b><br>") + lines.join("<br>"));
}

void ExperimentForm::setRunning(bool running) {
  m_running = running;
  // Only what the engine can change between steps stays editable during a run.
  const QList<QWidget*> live = {m_lr, m_temperature, m_alpha, m_evalInterval};
  for (auto* w : findChildren<QWidget*>()) {
    if (qobject_cast<QAbstractSpinBox*>(w->parentWidget())) continue;  // a spin box's own line edit
    if (qobject_cast<QSpinBox*>(w) || qobject_cast<QDoubleSpinBox*>(w) || qobject_cast<QLineEdit*>(w) ||
        qobject_cast<QComboBox*>(w) || qobject_cast<QCheckBox*>(w) || qobject_cast<QPushButton*>(w) ||
        qobject_cast<QToolButton*>(w) || qobject_cast<QPlainTextEdit*>(w)) {
      if (!live.contains(w)) w->setEnabled(!running);
    }
  }
  enableLossParameters(m_beta, m_skew, choiceOf<DistillLoss>(m_loss), !running);
  if (!running) {
    // Restore the per-architecture enabling the loop above overrode.
    m_teacher->setSpec(m_teacher->spec());
    for (int i = 0; i < m_students->count(); ++i) {
      auto* editor = m_students->widget(i)->findChild<ModelSpecEditor*>("studentSpec");
      editor->setSpec(editor->spec());
    }
  }
}

}  // namespace distill
