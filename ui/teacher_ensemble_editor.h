#pragma once

// The ensemble part of the experiment form: the teachers after the first (the Teacher box above
// edits the first), one row each — name, weight, shape, or a checkpoint / Hugging Face folder to
// load instead — and how the students combine them (distill.ensemble). No rows: one teacher.

#include <QWidget>
#include <vector>

#include "distill/config.h"

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QTableWidget;

namespace distill {

class TeacherEnsembleEditor : public QWidget {
  Q_OBJECT
public:
  explicit TeacherEnsembleEditor(QWidget* parent = nullptr);

  /// Shows an experiment's teachers: the first's name and weight, the others as rows.
  void setTeachers(const ExperimentConfig& c);
  /// Writes the ensemble into `c` (whose `teacher` the form filled): `teachers` with the first
  /// member first, or nothing when there are no rows.
  void applyTo(ExperimentConfig& c) const;
  /// Rows, each another member.
  int memberRows() const;
  void addMember();
  void removeMember(int row);
  QTableWidget* table() const { return m_table; }

signals:
  void changed();

private:
  void addRow(const TeacherConfig& t);
  TeacherConfig rowMember(int row) const;
  void updateEnabled();
  void edited();

  QLineEdit* m_firstName;
  QDoubleSpinBox* m_firstWeight;
  QComboBox* m_mode;
  QTableWidget* m_table;
  std::vector<TeacherConfig> m_rowExtras;  // each row's member: keys without a column travel with it
  bool m_loading = false;
};

}  // namespace distill
