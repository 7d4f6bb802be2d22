#include "run_notes_dialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QPlainTextEdit>

namespace distill {

RunNotesDialog::RunNotesDialog(const QString& runName, const RunNotes& notes, QWidget* parent)
    : QDialog(parent) {
  setWindowTitle(tr("Tags and note of %1").arg(runName));
  auto* form = new QFormLayout(this);
  QStringList tags;
  for (const auto& t : notes.tags) tags << QString::fromStdString(t);
  m_tags = new QLineEdit(tags.join(", "), this);
  m_tags->setPlaceholderText(tr("e.g. baseline, high-lr (comma-separated)"));
  m_note = new QPlainTextEdit(QString::fromStdString(notes.note), this);
  m_note->setPlaceholderText(tr("What this run tried, what you saw"));
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  form->addRow(tr("Tags"), m_tags);
  form->addRow(tr("Note"), m_note);
  form->addRow(buttons);
  resize(460, 260);
}

RunNotes RunNotesDialog::notes() const {
  RunNotes notes;
  notes.tags = parseTags(m_tags->text().toStdString());
  notes.note = m_note->toPlainText().trimmed().toStdString();
  return notes;
}

}  // namespace distill
