#pragma once

#include <QWidget>

#include "distill/sweep.h"

class QCheckBox;
class QComboBox;
class QSpinBox;
class QTableWidget;

namespace distill {

/// Edits a sweep's definition: the swept keys with their values or ranges, the strategy, the trial
/// budget, the objective, early stopping and parallel trials. Emits changed() on every edit.
class SweepDefinitionEditor : public QWidget {
  Q_OBJECT
public:
  explicit SweepDefinitionEditor(QWidget* parent = nullptr);

  void setDefinition(const SweepDefinition& definition);
  /// What the widgets say. A row whose values do not read as numbers is kept as text: the
  /// sweep's own parser reports it with the key.
  SweepDefinition definition() const;
  /// Adds (or, if present, selects) a row for `key` sweeping over its current value.
  void addParameter(const QString& key, const QString& currentValue);
  /// The models the objective may name (the experiment's).
  void setModels(const QStringList& models);
  QTableWidget* parameterTable() const { return m_table; }
  QComboBox* objectiveModel() const { return m_model; }

signals:
  void changed();

private:
  void addRow(const SweepParameter& p);
  QWidget* buildSettings();

  QTableWidget* m_table;
  QComboBox* m_strategy;
  QSpinBox* m_maxTrials;
  QSpinBox* m_parallel;
  QSpinBox* m_seed;
  QComboBox* m_model;
  QComboBox* m_metric;
  QComboBox* m_goal;
  QCheckBox* m_earlyStop;
  QCheckBox* m_baseline;
  bool m_loading = false;
};

}  // namespace distill
