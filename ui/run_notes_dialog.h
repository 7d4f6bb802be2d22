#pragma once

#include <QDialog>

#include "distill/run_notes.h"

class QLineEdit;
class QPlainTextEdit;

namespace distill {

/// Edits a run's tags (comma-separated) and note; the caller writes them (writeRunNotes).
class RunNotesDialog : public QDialog {
  Q_OBJECT
public:
  RunNotesDialog(const QString& runName, const RunNotes& notes, QWidget* parent = nullptr);
  RunNotes notes() const;
  QLineEdit* tagsEdit() const { return m_tags; }
  QPlainTextEdit* noteEdit() const { return m_note; }

private:
  QLineEdit* m_tags;
  QPlainTextEdit* m_note;
};

}  // namespace distill
