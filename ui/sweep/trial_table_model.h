#pragma once

#include <QAbstractTableModel>
#include <QStyledItemDelegate>
#include <map>
#include <vector>

#include "distill/sweep.h"

namespace distill {

/// The trial table: one row per trial (status, progress, each swept value, the objective, every
/// model's validation loss, each distilled student's share of the teacher gap, why it stopped).
/// Sorting uses kSortRole (numbers as numbers); the best completed trial is highlighted.
class TrialTableModel : public QAbstractTableModel {
  Q_OBJECT
public:
  static constexpr int kSortRole = Qt::UserRole + 1;
  static constexpr int kProgressRole = Qt::UserRole + 2;  ///< 0..1, or -1 for none
  static constexpr int kTrialIdRole = Qt::UserRole + 3;

  explicit TrialTableModel(QObject* parent = nullptr);

  /// A new sweep (or a finished one opened): its definition and trials; clears the rest.
  void reset(const SweepDefinition& definition, const std::vector<SweepTrial>& trials);
  void updateTrials(const std::vector<SweepTrial>& trials);
  void setProgress(int trialId, int step, int totalSteps, const QString& phase);

  const SweepDefinition& definition() const { return m_definition; }
  const std::vector<SweepTrial>& trials() const { return m_trials; }
  const SweepTrial* trial(int id) const;
  /// The completed trial with the best objective (-1: none yet).
  int bestTrial() const { return m_best; }
  int progressColumn() const { return 2; }
  int objectiveColumn() const { return 3 + static_cast<int>(m_definition.parameters.size()); }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
  void refreshColumns();
  void refreshBest();
  QVariant cell(const SweepTrial& t, int column, bool forSorting) const;
  QVariant toolTip(const SweepTrial& t, int column) const;

  SweepDefinition m_definition;
  std::vector<SweepTrial> m_trials;
  std::map<int, std::pair<double, QString>> m_progress;  // trial → (share done, phase)
  std::vector<std::string> m_models;                     // model columns, in order of appearance
  std::vector<std::string> m_students;                   // gap columns
  int m_best = -1;
};

/// Paints kProgressRole as a progress bar.
class ProgressDelegate : public QStyledItemDelegate {
public:
  using QStyledItemDelegate::QStyledItemDelegate;
  void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

}  // namespace distill
