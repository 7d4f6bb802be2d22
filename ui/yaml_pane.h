#pragma once

#include <QTimer>
#include <QWidget>

#include "distill/config.h"

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace distill {

/// The experiment as YAML text. Edits are parsed after a short pause; a valid text is offered as
/// a new config, an invalid one marks the offending line and says what is wrong there.
class YamlPane : public QWidget {
  Q_OBJECT
public:
  explicit YamlPane(QWidget* parent = nullptr);

  /// Replaces the text with `config` written out in full (a new experiment); emits nothing.
  void showConfig(const ExperimentConfig& config);
  /// Shows a file as its author wrote it; `config` is what it parses to.
  void showAuthorText(const QString& text, const ExperimentConfig& config);
  /// The form changed: the values that differ are changed where they stand in the author's text;
  /// where a change has no place there the text is written out in full and authorTextLost() says so.
  void followForm(const ExperimentConfig& config);
  /// Whether the author's text (comments, layout, unnamed defaults) was replaced by a full rewrite.
  bool authorTextLost() const { return m_authorTextLost; }
  QString text() const;
  void setText(const QString& text);
  /// Folder relative paths in the text resolve against.
  void setSourceDir(const QString& dir) { m_sourceDir = dir; }
  /// The parse problem shown (empty when the text is valid).
  QString problem() const { return m_problem; }
  int problemLine() const { return m_problemLine; }
  /// The problem with where it is: "YAML tab, line 3, column 7: train.lr: …" (empty when valid).
  QString problemWithLocation() const;
  /// During a run the text is read-only: only the form's live settings may change then, through
  /// one path (the form), so the YAML can never show values the run does not use.
  void setRunning(bool running);
  bool isRunning() const { return m_running; }
  QPlainTextEdit* editor() const { return m_editor; }
  /// Parses now instead of after the typing pause.
  void parseNow();

signals:
  void configEdited(const distill::ExperimentConfig& config);
  /// "Discard my edits" was confirmed: the text went back to the last valid one.
  void discarded();
  /// The text became valid or invalid (see problem()).
  void problemChanged();

private:
  void markLine(int line);
  void showStatus(const QString& text, bool problem);

  QPlainTextEdit* m_editor;
  QLabel* m_status;
  QPushButton* m_discard;
  QTimer m_debounce;
  QString m_sourceDir = ".";
  QString m_problem;
  int m_problemLine = 0;
  int m_problemColumn = 0;
  bool m_settingText = false;
  bool m_running = false;
  bool m_authorTextLost = false;
  bool m_hasConfig = false;
  ExperimentConfig m_config;  // what the text parses to, to patch it in place
  QString m_validText;        // the last text that parsed: what "Discard my edits" goes back to
};

}  // namespace distill
