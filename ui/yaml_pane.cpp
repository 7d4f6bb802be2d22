#include "yaml_pane.h"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTextBlock>
#include <QVBoxLayout>

#include "distill/config_patch.h"

namespace distill {

YamlPane::YamlPane(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  m_editor = new QPlainTextEdit(this);
  m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  m_editor->setLineWrapMode(QPlainTextEdit::NoWrap);
  m_editor->setToolTip(tr("The same experiment as YAML; edits here update the form"));
  m_status = new QLabel(this);
  m_status->setWordWrap(true);
  m_discard = new QPushButton(tr("Discard my edits"), this);
  m_discard->setObjectName("discardYamlEdits");
  m_discard->setToolTip(tr("Throw this text away and show the form's experiment again"));
  m_discard->hide();
  connect(m_discard, &QPushButton::clicked, this, [this] {
    const auto answer =
        QMessageBox::question(this, tr("Discard the YAML edits?"),
                              tr("The text in the YAML tab has a problem. Throw your edits away and go "
                                 "back to the last text that was valid (the form's experiment)?"),
                              QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Discard) return;
    setText(m_validText);
    emit discarded();
  });
  auto* statusRow = new QHBoxLayout;
  statusRow->addWidget(m_status, 1);
  statusRow->addWidget(m_discard);
  layout->addWidget(m_editor, 1);
  layout->addLayout(statusRow);
  m_debounce.setSingleShot(true);
  m_debounce.setInterval(400);
  connect(&m_debounce, &QTimer::timeout, this, &YamlPane::parseNow);
  connect(m_editor, &QPlainTextEdit::textChanged, this, [this] {
    if (!m_settingText) m_debounce.start();
  });
}

void YamlPane::showConfig(const ExperimentConfig& config) {
  setText(QString::fromStdString(experimentToYaml(config)));
  m_validText = text();
  m_config = config;
  m_hasConfig = true;
  m_authorTextLost = false;
}

void YamlPane::showAuthorText(const QString& text, const ExperimentConfig& config) {
  setText(text);
  m_validText = text;
  m_config = config;
  m_hasConfig = true;
  m_authorTextLost = false;
}

void YamlPane::followForm(const ExperimentConfig& config) {
  if (!m_problem.isEmpty()) return;  // the form is locked then; the user's text is never replaced
  if (m_hasConfig) {
    const auto patched =
        patchExperimentYaml(text().toStdString(), m_sourceDir.toStdString(), m_config, config);
    if (patched) {
      setText(QString::fromStdString(*patched));
      m_validText = text();
      m_config = config;
      return;
    }
  }
  const bool lost = m_authorTextLost || experimentToYaml(config) != text().toStdString();
  showConfig(config);
  m_authorTextLost = lost;
}

QString YamlPane::text() const { return m_editor->toPlainText(); }

void YamlPane::setText(const QString& text) {
  if (text == m_editor->toPlainText()) return;
  m_settingText = true;
  m_editor->setPlainText(text);
  m_settingText = false;
  const bool hadProblem = !m_problem.isEmpty();
  m_problem.clear();
  m_problemLine = 0;
  m_problemColumn = 0;
  markLine(0);
  showStatus(m_running ? tr("Read-only while a run goes: change the live settings in the form")
                       : tr("In sync with the form"),
             false);
  if (hadProblem) emit problemChanged();
}

void YamlPane::setRunning(bool running) {
  m_running = running;
  m_editor->setReadOnly(running);
  if (m_problem.isEmpty())
    showStatus(running ? tr("Read-only while a run goes: change the live settings in the form")
                       : tr("In sync with the form"),
               false);
}

QString YamlPane::problemWithLocation() const {
  if (m_problem.isEmpty()) return {};
  if (m_problemLine <= 0) return tr("YAML tab: %1").arg(m_problem);
  return tr("YAML tab, line %1, column %2: %3").arg(m_problemLine).arg(m_problemColumn).arg(m_problem);
}

void YamlPane::showStatus(const QString& text, bool problem) {
  m_status->setText(text);
  m_status->setStyleSheet(problem ? "color: #b22;" : "color: #2a6;");
  m_discard->setVisible(problem && !m_running);
}

void YamlPane::parseNow() {
  m_debounce.stop();
  const auto result = parseExperiment(m_editor->toPlainText().toStdString(), m_sourceDir.toStdString());
  if (!result.ok()) {
    const auto& p = result.problems.front();
    m_problem = QString::fromStdString(p.key + ": " + p.message);
    m_problemLine = p.line;
    m_problemColumn = p.column;
    markLine(p.line);
    showStatus(p.line > 0 ? tr("Line %1, column %2: %3").arg(p.line).arg(p.column).arg(m_problem) : m_problem,
               true);
    emit problemChanged();
    return;
  }
  m_problem.clear();
  m_problemLine = 0;
  m_problemColumn = 0;
  markLine(0);
  m_config = result.config;
  m_validText = text();
  m_hasConfig = true;
  showStatus(tr("Valid: the form shows these values"), false);
  emit configEdited(result.config);
  emit problemChanged();
}

void YamlPane::markLine(int line) {
  QList<QTextEdit::ExtraSelection> selections;
  if (line > 0) {
    QTextEdit::ExtraSelection selection;
    selection.format.setBackground(QColor(255, 220, 220));
    selection.format.setProperty(QTextFormat::FullWidthSelection, true);
    selection.cursor = QTextCursor(m_editor->document()->findBlockByNumber(line - 1));
    selections << selection;
  }
  m_editor->setExtraSelections(selections);
}

}  // namespace distill
