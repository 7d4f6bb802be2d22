#include "sweep/sweep_definition_editor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>
#include <thread>

#include "form_widgets.h"

namespace distill {

namespace {
enum ParameterColumn { kKey, kRange, kValues, kLow, kHigh, kColumns };
}

SweepDefinitionEditor::SweepDefinitionEditor(QWidget* parent) : QWidget(parent) {
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* left = new QVBoxLayout;
  m_table = new QTableWidget(0, kColumns, this);
  m_table->setObjectName("sweepParameters");
  m_table->setHorizontalHeaderLabels(
      {tr("Experiment key"), tr("Range"), tr("Values (comma-separated)"), tr("Low"), tr("High")});
  m_table->horizontalHeader()->setSectionResizeMode(kValues, QHeaderView::Stretch);
  m_table->horizontalHeader()->setSectionResizeMode(kKey, QHeaderView::ResizeToContents);
  m_table->verticalHeader()->hide();
  m_table->setToolTip(tr("Right-click a field of the Experiment form and choose \"Sweep…\" to add it here"));
  m_table->setMinimumHeight(110);
  m_table->setMaximumHeight(150);
  connect(m_table, &QTableWidget::cellChanged, this, [this] {
    if (!m_loading) emit changed();
  });
  auto* buttons = new QHBoxLayout;
  auto* add = new QPushButton(tr("Add key"), this);
  auto* remove = new QPushButton(tr("Remove"), this);
  connect(add, &QPushButton::clicked, this, [this] { addParameter("distill.temperature", "2"); });
  connect(remove, &QPushButton::clicked, this, [this] {
    if (m_table->currentRow() >= 0) m_table->removeRow(m_table->currentRow());
    emit changed();
  });
  buttons->addWidget(add);
  buttons->addWidget(remove);
  buttons->addStretch();
  left->addWidget(m_table, 1);
  left->addLayout(buttons);
  layout->addLayout(left, 3);
  layout->addWidget(buildSettings(), 2);
  setDefinition(SweepDefinition());  // the engine's defaults (a baseline trial, one trial at a time)
}

QWidget* SweepDefinitionEditor::buildSettings() {
  auto* box = new QWidget(this);
  auto* form = new QFormLayout(box);
  form->setContentsMargins(0, 0, 0, 0);
  m_strategy = new QComboBox(box);
  fillChoices<SweepStrategy>(m_strategy);
  m_strategy->setToolTip(
      tr("grid: every combination of the lists; random: uniform draws; tpe: Parzen estimators "
         "over the good and bad trials so far (as Hyperopt and Optuna)"));
  m_maxTrials = makeIntBox(0, 10000, tr("Trials besides the baseline (0: the whole grid, or 20)"), box);
  m_parallel = makeIntBox(1, 64, tr("Trials at once; the cores are split between them"), box);
  m_parallel->setMaximum(std::max(1u, std::thread::hardware_concurrency()));
  m_seed = makeIntBox(0, 1 << 30, tr("Seed of the random and TPE proposals"), box);
  m_model = new QComboBox(box);
  m_model->setObjectName("objectiveModel");
  m_metric = new QComboBox(box);
  for (const auto& m : SweepObjective::metrics()) m_metric->addItem(QString::fromStdString(m));
  m_goal = new QComboBox(box);
  m_goal->addItems({"minimize", "maximize"});
  connect(m_metric, &QComboBox::currentTextChanged, this, [this](const QString& metric) {
    if (!m_loading) m_goal->setCurrentText(metric == "agreement" ? "maximize" : "minimize");
  });
  auto* objective = new QHBoxLayout;
  objective->addWidget(m_model, 1);
  objective->addWidget(m_metric);
  objective->addWidget(m_goal);
  m_earlyStop = new QCheckBox(tr("Stop hopeless trials (median rule)"), box);
  m_earlyStop->setToolTip(
      tr("At each evaluation, a trial whose best objective so far is worse than the median of "
         "the other trials' by the same step stops (Google Vizier's median stopping rule)"));
  m_baseline = new QCheckBox(tr("Trial 0: the experiment as set (baseline)"), box);
  form->addRow(tr("Strategy"), m_strategy);
  form->addRow(tr("Trials"), m_maxTrials);
  form->addRow(tr("Parallel"), m_parallel);
  form->addRow(tr("Seed"), m_seed);
  form->addRow(tr("Objective"), objective);
  form->addRow(m_earlyStop);
  form->addRow(m_baseline);
  auto emitChanged = [this] {
    if (!m_loading) emit changed();
  };
  for (auto* combo : {m_strategy, m_model, m_metric, m_goal})
    connect(combo, &QComboBox::currentTextChanged, this, emitChanged);
  for (auto* spin : {m_maxTrials, m_parallel, m_seed})
    connect(spin, &QSpinBox::valueChanged, this, emitChanged);
  for (auto* check : {m_earlyStop, m_baseline}) connect(check, &QCheckBox::toggled, this, emitChanged);
  return box;
}

void SweepDefinitionEditor::addRow(const SweepParameter& p) {
  const int row = m_table->rowCount();
  m_table->insertRow(row);
  m_table->setItem(row, kKey, new QTableWidgetItem(QString::fromStdString(p.key)));
  auto* range = new QComboBox(m_table);
  fillChoices<RangeKind>(range);
  showChoice(range, p.kind);
  connect(range, &QComboBox::currentTextChanged, this, [this] {
    if (!m_loading) emit changed();
  });
  m_table->setCellWidget(row, kRange, range);
  QStringList values;
  for (const auto& v : p.values) values << QString::fromStdString(v);
  m_table->setItem(row, kValues, new QTableWidgetItem(values.join(", ")));
  m_table->setItem(row, kLow, new QTableWidgetItem(p.isRange() ? QString::number(p.low, 'g', 6) : QString()));
  m_table->setItem(row, kHigh,
                   new QTableWidgetItem(p.isRange() ? QString::number(p.high, 'g', 6) : QString()));
}

void SweepDefinitionEditor::setDefinition(const SweepDefinition& d) {
  m_loading = true;
  m_table->setRowCount(0);
  for (const auto& p : d.parameters) addRow(p);
  showChoice(m_strategy, d.strategy);
  m_maxTrials->setValue(d.maxTrials);
  m_parallel->setValue(d.parallel);
  m_seed->setValue(static_cast<int>(d.seed));
  if (!d.objective.model.empty() && m_model->findText(QString::fromStdString(d.objective.model)) < 0)
    m_model->addItem(QString::fromStdString(d.objective.model));
  if (!d.objective.model.empty()) m_model->setCurrentText(QString::fromStdString(d.objective.model));
  m_metric->setCurrentText(QString::fromStdString(d.objective.metric));
  m_goal->setCurrentText(d.objective.minimize ? "minimize" : "maximize");
  m_earlyStop->setChecked(d.earlyStopping == EarlyStopping::Median);
  m_baseline->setChecked(d.baseline);
  m_loading = false;
  emit changed();
}

SweepDefinition SweepDefinitionEditor::definition() const {
  SweepDefinition d;
  for (int row = 0; row < m_table->rowCount(); ++row) {
    SweepParameter p;
    auto text = [&](int column) {
      return m_table->item(row, column) ? m_table->item(row, column)->text().trimmed() : QString();
    };
    p.key = text(kKey).toStdString();
    p.kind = choiceOf<RangeKind>(static_cast<QComboBox*>(m_table->cellWidget(row, kRange)));
    if (p.isRange()) {
      p.low = text(kLow).toDouble();
      p.high = text(kHigh).toDouble();
    } else {
      for (const auto& v : text(kValues).split(',', Qt::SkipEmptyParts))
        p.values.push_back(v.trimmed().toStdString());
    }
    d.parameters.push_back(p);
  }
  d.strategy = choiceOf<SweepStrategy>(m_strategy);
  d.maxTrials = m_maxTrials->value();
  d.parallel = m_parallel->value();
  d.seed = static_cast<uint64_t>(m_seed->value());
  d.objective.model = m_model->currentText().toStdString();
  d.objective.metric = m_metric->currentText().toStdString();
  d.objective.minimize = m_goal->currentText() == "minimize";
  d.earlyStopping = m_earlyStop->isChecked() ? EarlyStopping::Median : EarlyStopping::None;
  d.baseline = m_baseline->isChecked();
  return d;
}

void SweepDefinitionEditor::addParameter(const QString& key, const QString& currentValue) {
  for (int row = 0; row < m_table->rowCount(); ++row)
    if (m_table->item(row, kKey) && m_table->item(row, kKey)->text() == key) {
      m_table->setCurrentCell(row, kValues);
      return;
    }
  SweepParameter p;
  p.key = key.toStdString();
  p.values = {currentValue.toStdString()};
  m_loading = true;
  addRow(p);
  m_loading = false;
  m_table->setCurrentCell(m_table->rowCount() - 1, kValues);
  emit changed();
}

void SweepDefinitionEditor::setModels(const QStringList& models) {
  const QString current = m_model->currentText();
  m_loading = true;
  m_model->clear();
  m_model->addItems(models);
  if (!current.isEmpty() && models.contains(current)) m_model->setCurrentText(current);
  m_loading = false;
}

}  // namespace distill
