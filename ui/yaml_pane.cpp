#include "yaml_pane.h"

#include <QFontDatabase>
#include <QLabel>
#include <QPlainTextEdit>
#include <QTextBlock>
#include <QVBoxLayout>

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
  layout->addWidget(m_editor, 1);
  layout->addWidget(m_status);
  m_debounce.setSingleShot(true);
  m_debounce.setInterval(400);
  connect(&m_debounce, &QTimer::timeout, this, &YamlPane::parseNow);
  connect(m_editor, &QPlainTextEdit::textChanged, this, [this] {
    if (!m_settingText) m_debounce.start();
  });
}

void YamlPane::showConfig(const ExperimentConfig& config) {
  setText(QString::fromStdString(experimentToYaml(config)));
}

QString YamlPane::text() const { return m_editor->toPlainText(); }

void YamlPane::setText(const QString& text) {
  if (text == m_editor->toPlainText()) return;
  m_settingText = true;
  m_editor->setPlainText(text);
  m_settingText = false;
  m_problem.clear();
  m_problemLine = 0;
  markLine(0);
  m_status->setText(tr("In sync with the form"));
  m_status->setStyleSheet("color: #2a6;");
}

void YamlPane::parseNow() {
  m_debounce.stop();
  const auto result = parseExperiment(m_editor->toPlainText().toStdString(), m_sourceDir.toStdString());
  if (!result.ok()) {
    const auto& p = result.problems.front();
    m_problem = QString::fromStdString(p.key + ": " + p.message);
    m_problemLine = p.line;
    markLine(p.line);
    m_status->setText(p.line > 0 ? tr("Line %1, column %2: %3").arg(p.line).arg(p.column).arg(m_problem) : m_problem);
    m_status->setStyleSheet("color: #b22;");
    emit problemChanged();
    return;
  }
  m_problem.clear();
  m_problemLine = 0;
  markLine(0);
  m_status->setText(tr("Valid: the form shows these values"));
  m_status->setStyleSheet("color: #2a6;");
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
