#pragma once

#include <QWidget>

class QLabel;
class QTableWidget;

namespace distill {

/// A prompt/response run's held-out prompts (responses.jsonl): each prompt with its reference and
/// every model's greedy answer side by side, an answer tinted by whether it is the reference, and
/// each model's exact-match share in the header. Hidden for runs without held-out answers.
class HeldOutAnswersView : public QWidget {
  Q_OBJECT
public:
  explicit HeldOutAnswersView(QWidget* parent = nullptr);

  /// Shows `runDir`'s answers (hides itself when it has none).
  void load(const QString& runDir);
  QTableWidget* table() const { return m_table; }
  /// The first held-out prompt ("" when there is none).
  QString firstPrompt() const;

signals:
  /// A held-out prompt was double-clicked: Generate can continue it with every model.
  void promptChosen(const QString& prompt);

private:
  QLabel* m_summary;
  QTableWidget* m_table;
};

}  // namespace distill
