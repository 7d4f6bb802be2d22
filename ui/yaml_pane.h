#pragma once

#include <QTimer>
#include <QWidget>

#include "distill/config.h"

class QLabel;
class QPlainTextEdit;

namespace distill {

/// The experiment as YAML text. Edits are parsed after a short pause; a valid text is offered as
/// a new config, an invalid one marks the offending line and says what is wrong there.
class YamlPane : public QWidget {
  Q_OBJECT
public:
  explicit YamlPane(QWidget* parent = nullptr);

  /// Replaces the text (the form changed); emits nothing.
  void showConfig(const ExperimentConfig& config);
  QString text() const;
  void setText(const QString& text);
  /// Folder relative paths in the text resolve against.
  void setSourceDir(const QString& dir) { m_sourceDir = dir; }
  /// The parse problem shown (empty when the text is valid).
  QString problem() const { return m_problem; }
  int problemLine() const { return m_problemLine; }
  QPlainTextEdit* editor() const { return m_editor; }
  /// Parses now instead of after the typing pause.
  void parseNow();

signals:
  void configEdited(const distill::ExperimentConfig& config);
  /// The text became valid or invalid (see problem()).
  void problemChanged();

private:
  void markLine(int line);

  QPlainTextEdit* m_editor;
  QLabel* m_status;
  QTimer m_debounce;
  QString m_sourceDir = ".";
  QString m_problem;
  int m_problemLine = 0;
  bool m_settingText = false;
};

}  // namespace distill
