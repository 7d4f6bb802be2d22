#include "sweep/trial_table_model.h"

#include <QApplication>
#include <QBrush>
#include <QFont>
#include <QPainter>
#include <cmath>

#include "repeat_text.h"

namespace distill {

namespace {

// Fixed columns before the swept values, and after them.
enum FixedColumn { kTrial, kStatus, kProgress, kFixedBefore };
const QStringList kAfterValues = {QObject::tr("objective")};

QString number(double v, int decimals = 4) {
  return std::isfinite(v) ? QString::number(v, 'f', decimals) : "—";
}

}  // namespace

TrialTableModel::TrialTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void TrialTableModel::reset(const SweepDefinition& definition, const std::vector<SweepTrial>& trials) {
  beginResetModel();
  m_definition = definition;
  m_trials = trials;
  m_progress.clear();
  refreshColumns();
  refreshBest();
  endResetModel();
}

void TrialTableModel::updateTrials(const std::vector<SweepTrial>& trials) {
  const auto modelsBefore = m_models.size(), studentsBefore = m_students.size();
  std::vector<int> added;
  for (const auto& t : trials) {
    auto it =
        std::find_if(m_trials.begin(), m_trials.end(), [&](const SweepTrial& r) { return r.id == t.id; });
    if (it != m_trials.end()) {
      *it = t;
      const int row = static_cast<int>(it - m_trials.begin());
      emit dataChanged(index(row, 0), index(row, columnCount() - 1));
    } else {
      beginInsertRows({}, rowCount(), rowCount());
      m_trials.push_back(t);
      endInsertRows();
    }
    if (t.finished()) m_progress.erase(t.id);
  }
  refreshColumns();
  if (m_models.size() != modelsBefore || m_students.size() != studentsBefore) {
    beginResetModel();  // new model columns (the first trial's models arrived)
    endResetModel();
  }
  const int bestBefore = m_best;
  refreshBest();
  if (bestBefore != m_best && rowCount() > 0)
    emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

void TrialTableModel::setProgress(int trialId, int step, int totalSteps, const QString& phase) {
  if (totalSteps <= 0) return;
  m_progress[trialId] = {static_cast<double>(step) / totalSteps, phase};
  for (size_t row = 0; row < m_trials.size(); ++row)
    if (m_trials[row].id == trialId) {
      const auto i = index(static_cast<int>(row), kProgress);
      emit dataChanged(i, i);
    }
}

const SweepTrial* TrialTableModel::trial(int id) const {
  for (const auto& t : m_trials)
    if (t.id == id) return &t;
  return nullptr;
}

void TrialTableModel::refreshColumns() {
  for (const auto& t : m_trials)
    for (const auto& m : t.models) {
      if (std::find(m_models.begin(), m_models.end(), m.name) == m_models.end()) m_models.push_back(m.name);
      if (m.role != ModelRole::Distilled) continue;
      const std::string student = m.name.substr(0, m.name.size() - 3);
      if (std::find(m_students.begin(), m_students.end(), student) == m_students.end())
        m_students.push_back(student);
    }
}

void TrialTableModel::refreshBest() { m_best = distill::bestTrial(m_trials, m_definition.objective); }

int TrialTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(m_trials.size());
}

int TrialTableModel::columnCount(const QModelIndex& parent) const {
  if (parent.isValid()) return 0;
  return kFixedBefore + static_cast<int>(m_definition.parameters.size()) + kAfterValues.size() +
         static_cast<int>(m_models.size() + m_students.size()) + 1;
}

QVariant TrialTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || (role != Qt::DisplayRole && role != Qt::ToolTipRole)) return {};
  const int params = static_cast<int>(m_definition.parameters.size());
  const int models = static_cast<int>(m_models.size());
  const int students = static_cast<int>(m_students.size());
  if (section == kTrial) return tr("trial");
  if (section == kStatus) return tr("status");
  if (section == kProgress) return tr("progress");
  int c = section - kFixedBefore;
  if (c < params) return QString::fromStdString(m_definition.parameters[c].key);
  c -= params;
  if (c == 0)
    return role == Qt::ToolTipRole
               ? tr("%1 of %2 (%3)")
                     .arg(QString::fromStdString(m_definition.objective.metric),
                          QString::fromStdString(m_definition.objective.model),
                          m_definition.objective.minimize ? tr("lower is better") : tr("higher is better"))
               : tr("objective");
  c -= 1;
  // The distillation-aware number first: how much of the teacher–scratch gap each student closed.
  if (c < students)
    return role == Qt::ToolTipRole ? tr("Share of the gap between the scratch twin and the teacher that the "
                                        "distilled %1 closed: (scratch − distilled) / (scratch − teacher)")
                                         .arg(QString::fromStdString(m_students[c]))
                                   : QString::fromStdString(m_students[c]) + tr(" gap closed");
  c -= students;
  if (c < models) return QString::fromStdString(m_models[c]) + tr(" val");
  return tr("stop reason");
}

QVariant TrialTableModel::cell(const SweepTrial& t, int column, bool forSorting) const {
  const int params = static_cast<int>(m_definition.parameters.size());
  const int models = static_cast<int>(m_models.size());
  const int students = static_cast<int>(m_students.size());
  if (column == kTrial)
    return forSorting ? QVariant(t.id)
                      : QVariant(t.baseline ? tr("%1 (baseline)").arg(t.id) : QString::number(t.id));
  if (column == kStatus) return QString::fromUtf8(statusName(t.status));
  if (column == kProgress) {
    const auto it = m_progress.find(t.id);
    if (t.finished()) return forSorting ? QVariant(2.0) : QVariant(QString());
    return it == m_progress.end()
               ? QVariant(forSorting ? QVariant(-1.0) : QVariant(QString()))
               : QVariant(forSorting ? QVariant(it->second.first) : QVariant(it->second.second));
  }
  int c = column - kFixedBefore;
  if (c < params) {
    const QString value =
        c < static_cast<int>(t.values.size()) ? QString::fromStdString(t.values[c]) : QString();
    bool numeric = false;
    const double v = value.toDouble(&numeric);
    return forSorting && numeric ? QVariant(v) : QVariant(value);
  }
  c -= params;
  auto numeric = [&](double v) {
    return forSorting ? QVariant(std::isfinite(v) ? v : 1e300) : QVariant(number(v));
  };
  if (c == 0) {
    // Over repeats the objective is their mean; its sd beside it.
    const double sd = objectiveSpread(m_definition.objective, t);
    if (forSorting || !std::isfinite(sd)) return numeric(t.objective);
    return number(t.objective) + QString::fromUtf8(" ± ") + number(sd);
  }
  c -= 1;
  if (c < students) {
    const auto twin = trialTwin(m_trials, t, m_students[c]);
    const double gap = twin ? twin->comparison.gapRecovered : NAN;
    if (forSorting) return std::isfinite(gap) ? gap : -1e300;
    const QString text = std::isfinite(gap) ? QString::number(100.0 * gap, 'f', 1) + " %" : QString("—");
    // Over repeats the verdict of the paired interval follows: a gap within seed noise says so.
    if (twin && twin->paired.pairs >= 2)
      return text + " (" + QString::fromStdString(twinVerdict(*twin)) + ")";
    return text;
  }
  c -= students;
  if (c < models) {
    const ModelSummary* m = t.model(m_models[c]);
    if (forSorting || !m) return numeric(m ? m->valLoss : NAN);
    return meanText(m->valLoss, m->repeats, &RepeatOutcome::valLoss, 4);
  }
  return QString::fromStdString(t.stopReason);
}

QVariant TrialTableModel::toolTip(const SweepTrial& t, int column) const {
  if (column == columnCount() - 1 || column == kStatus) return QString::fromStdString(t.stopReason);
  const int student = column - kFixedBefore - static_cast<int>(m_definition.parameters.size()) - 1;
  if (student < 0 || student >= static_cast<int>(m_students.size())) return {};
  const auto twin = trialTwin(m_trials, t, m_students[static_cast<size_t>(student)]);
  return twin ? twinDeltaText(*twin) + "\n" + twinDeltaTooltip(*twin) : QVariant();
}

QVariant TrialTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const SweepTrial& t = m_trials[static_cast<size_t>(index.row())];
  switch (role) {
    case Qt::DisplayRole:
      return cell(t, index.column(), false);
    case Qt::ToolTipRole:
      return toolTip(t, index.column());
    case kSortRole:
      return cell(t, index.column(), true);
    case kTrialIdRole:
      return t.id;
    case kProgressRole: {
      if (index.column() != kProgress || t.finished()) return -1.0;
      const auto it = m_progress.find(t.id);
      return it == m_progress.end() ? -1.0 : it->second.first;
    }
    case Qt::FontRole:
      if (t.id == m_best) {
        QFont bold;
        bold.setBold(true);
        return bold;
      }
      return {};
    case Qt::BackgroundRole:
      if (t.id == m_best) return QBrush(QColor("#dff3df"));
      if (t.status == SweepTrial::Status::Failed) return QBrush(QColor("#fbe4e4"));
      if (t.status == SweepTrial::Status::Stopped) return QBrush(QColor("#f2f2f2"));
      return {};
    case Qt::TextAlignmentRole:
      return index.column() >= kFixedBefore ? int(Qt::AlignRight | Qt::AlignVCenter)
                                            : int(Qt::AlignLeft | Qt::AlignVCenter);
  }
  return {};
}

void ProgressDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                             const QModelIndex& index) const {
  const double share = index.data(TrialTableModel::kProgressRole).toDouble();
  if (share < 0) {
    QStyledItemDelegate::paint(painter, option, index);
    return;
  }
  QStyleOptionProgressBar bar;
  bar.rect = option.rect.adjusted(2, 3, -2, -3);
  bar.minimum = 0;
  bar.maximum = 1000;
  bar.progress = static_cast<int>(1000 * share);
  bar.text = index.data(Qt::DisplayRole).toString() + QString(" %1 %").arg(static_cast<int>(100 * share));
  bar.textVisible = true;
  bar.state = option.state | QStyle::State_Horizontal;
  QApplication::style()->drawControl(QStyle::CE_ProgressBar, &bar, painter);
}

}  // namespace distill
