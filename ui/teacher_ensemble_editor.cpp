#include "teacher_ensemble_editor.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include "form_widgets.h"

namespace distill {

namespace {

enum Column { kName, kWeight, kArch, kLayers, kHeads, kEmbd, kHidden, kCheckpoint, kHf, kColumns };

}  // namespace

TeacherEnsembleEditor::TeacherEnsembleEditor(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  m_firstName = new QLineEdit(this);
  m_firstName->setObjectName("teachers.0.name");
  m_firstName->setToolTip(schemaTooltip("teachers.N.name"));
  m_firstWeight = makeDoubleBox("teachers.N.weight", 2, 0.25, this);
  m_firstWeight->setObjectName("teachers.0.weight");
  m_mode = new QComboBox(this);
  m_mode->setObjectName("distill.ensemble");
  fillChoices<Ensemble>(m_mode);
  m_mode->setToolTip(schemaTooltip("distill.ensemble"));
  // The first teacher's place in the ensemble, and how the students combine the teachers.
  auto* rows = new QFormLayout;
  rows->setContentsMargins(0, 0, 0, 0);
  auto* first = new QHBoxLayout;
  first->addWidget(m_firstName, 1);
  first->addWidget(new QLabel(tr("weight"), this));
  first->addWidget(m_firstWeight);
  rows->addRow(tr("Name in ensemble"), first);
  rows->addRow(tr("Students learn"), m_mode);
  layout->addLayout(rows);

  m_table = new QTableWidget(0, kColumns, this);
  m_table->setObjectName("teachers");
  m_table->setHorizontalHeaderLabels({tr("Name"), tr("Weight"), tr("Arch"), tr("Layers"), tr("Heads"),
                                      tr("Embd"), tr("Hidden"), tr("Checkpoint"), tr("Hugging Face folder")});
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->verticalHeader()->setVisible(false);
  m_table->setToolTip(
      tr("More teachers make an ensemble: each trained here (its shape) or loaded from a "
         "checkpoint or a Hugging Face folder, all with the run's tokenizer"));
  layout->addWidget(m_table);
  auto* buttons = new QHBoxLayout;
  auto* add = new QPushButton(tr("Add teacher"), this);
  add->setToolTip(tr("Another teacher: the students learn from the ensemble"));
  auto* remove = new QPushButton(tr("Remove teacher"), this);
  remove->setToolTip(tr("Remove the selected row's teacher"));
  connect(add, &QPushButton::clicked, this, &TeacherEnsembleEditor::addMember);
  connect(remove, &QPushButton::clicked, this, [this] { removeMember(m_table->currentRow()); });
  buttons->addWidget(add);
  buttons->addWidget(remove);
  buttons->addStretch(1);
  layout->addLayout(buttons);

  connect(m_firstName, &QLineEdit::textChanged, this, &TeacherEnsembleEditor::edited);
  connect(m_firstWeight, &QDoubleSpinBox::valueChanged, this, &TeacherEnsembleEditor::edited);
  connect(m_mode, &QComboBox::currentTextChanged, this, &TeacherEnsembleEditor::edited);
  updateEnabled();
}

void TeacherEnsembleEditor::edited() {
  if (!m_loading) emit changed();
}

void TeacherEnsembleEditor::setTeachers(const ExperimentConfig& c) {
  m_loading = true;
  m_table->setRowCount(0);
  m_rowExtras.clear();
  const auto members = c.teacherMembers();
  m_firstName->setText(QString::fromStdString(c.ensemble() ? members.front().name : "1"));
  m_firstWeight->setValue(members.front().weight);
  showChoice(m_mode, c.distill.ensemble);
  for (size_t i = 1; i < members.size(); ++i) addRow(members[i]);
  m_loading = false;
  updateEnabled();
}

void TeacherEnsembleEditor::applyTo(ExperimentConfig& c) const {
  c.teachers.clear();
  c.distill.ensemble = choiceOf<Ensemble>(m_mode);
  if (m_table->rowCount() == 0) return;
  TeacherConfig first = c.teacher;
  first.name = m_firstName->text().trimmed().toStdString();
  first.weight = m_firstWeight->value();
  c.teachers.push_back(first);
  for (int row = 0; row < m_table->rowCount(); ++row) c.teachers.push_back(rowMember(row));
  c.teacher = first;
}

int TeacherEnsembleEditor::memberRows() const { return m_table->rowCount(); }

void TeacherEnsembleEditor::addMember() {
  TeacherConfig t;
  t.name = std::to_string(m_table->rowCount() + 2);
  addRow(t);
  updateEnabled();
  edited();
}

void TeacherEnsembleEditor::removeMember(int row) {
  if (row < 0 || row >= m_table->rowCount()) return;
  m_table->removeRow(row);
  m_rowExtras.erase(m_rowExtras.begin() + row);
  updateEnabled();
  edited();
}

void TeacherEnsembleEditor::addRow(const TeacherConfig& t) {
  const int row = m_table->rowCount();
  m_table->insertRow(row);
  m_rowExtras.push_back(t);
  auto text = [&](Column column, const std::string& value, const QString& placeholder) {
    auto* edit = new QLineEdit(QString::fromStdString(value), m_table);
    edit->setPlaceholderText(placeholder);
    connect(edit, &QLineEdit::textChanged, this, &TeacherEnsembleEditor::edited);
    m_table->setCellWidget(row, column, edit);
  };
  auto number = [&](Column column, const char* key, int value) {
    auto* box = makeIntBox(key, m_table);
    box->setValue(value);
    connect(box, &QSpinBox::valueChanged, this, &TeacherEnsembleEditor::edited);
    m_table->setCellWidget(row, column, box);
  };
  text(kName, t.name, tr("name"));
  auto* weight = makeDoubleBox("teachers.N.weight", 2, 0.25, m_table);
  weight->setValue(t.weight);
  connect(weight, &QDoubleSpinBox::valueChanged, this, &TeacherEnsembleEditor::edited);
  m_table->setCellWidget(row, kWeight, weight);
  auto* arch = new QComboBox(m_table);
  fillChoices<Arch>(arch);
  showChoice(arch, t.model.arch);
  connect(arch, &QComboBox::currentTextChanged, this, &TeacherEnsembleEditor::edited);
  m_table->setCellWidget(row, kArch, arch);
  number(kLayers, "teachers.N.layers", t.model.layers);
  number(kHeads, "teachers.N.heads", t.model.heads);
  number(kEmbd, "teachers.N.embd", t.model.embd);
  number(kHidden, "teachers.N.hidden", t.model.hidden);
  text(kCheckpoint, t.checkpoint, tr("train here"));
  text(kHf, t.hf, tr("or a Hugging Face folder"));
}

TeacherConfig TeacherEnsembleEditor::rowMember(int row) const {
  TeacherConfig t = m_rowExtras.at(static_cast<size_t>(row));
  auto text = [&](Column column) {
    return static_cast<QLineEdit*>(m_table->cellWidget(row, column))->text().trimmed().toStdString();
  };
  auto number = [&](Column column) {
    return static_cast<QSpinBox*>(m_table->cellWidget(row, column))->value();
  };
  t.name = text(kName);
  t.weight = static_cast<QDoubleSpinBox*>(m_table->cellWidget(row, kWeight))->value();
  t.model.arch = choiceOf<Arch>(static_cast<QComboBox*>(m_table->cellWidget(row, kArch)));
  t.model.layers = number(kLayers);
  t.model.heads = number(kHeads);
  t.model.embd = number(kEmbd);
  t.model.hidden = number(kHidden);
  t.checkpoint = text(kCheckpoint);
  t.hf = text(kHf);
  return t;
}

void TeacherEnsembleEditor::updateEnabled() {
  // The first teacher's name and weight, and the combination, mean something only in an ensemble.
  const bool ensemble = m_table->rowCount() > 0;
  m_firstName->setEnabled(ensemble);
  m_firstWeight->setEnabled(ensemble);
  m_mode->setEnabled(ensemble);
  m_table->setMaximumHeight(ensemble ? 40 + 34 * m_table->rowCount() : 30);
}

}  // namespace distill
