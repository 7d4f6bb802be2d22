#pragma once

#include <QDialog>
#include <QString>
#include <atomic>

#include "background_task.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

/// Trains a byte-level BPE or SentencePiece tokenizer on a corpus in a worker thread, with
/// progress and cancel; emits trained(folder) when the result has loaded and round-tripped.
class TokenizerTrainingDialog : public QDialog {
  Q_OBJECT
public:
  TokenizerTrainingDialog(const QString& corpus, QWidget* parent = nullptr);
  ~TokenizerTrainingDialog() override;

signals:
  void trained(const QString& folder);

private:
  void start();
  void finish(bool ok, const QString& message, const QString& folder);

  QLineEdit* m_corpus;
  QComboBox* m_kind;
  QSpinBox* m_vocabSize;
  QLineEdit* m_outDir;
  QProgressBar* m_progress;
  QLabel* m_status;
  QPushButton* m_train;
  std::atomic<bool> m_cancel{false};
  distill::BackgroundTask m_worker;  // last: destroyed (waited for) before what the training reads
};
