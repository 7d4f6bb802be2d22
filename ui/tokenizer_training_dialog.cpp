#include "tokenizer_training_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include "distill/tokenizers.h"

TokenizerTrainingDialog::TokenizerTrainingDialog(const QString& corpus, QWidget* parent) : QDialog(parent) {
  setWindowTitle(tr("Train a tokenizer"));
  auto* layout = new QVBoxLayout(this);
  auto* form = new QFormLayout;
  m_corpus = new QLineEdit(corpus, this);
  m_corpus->setObjectName("tokenizer.corpus");
  m_kind = new QComboBox(this);
  m_kind->addItems({"bpe", "sentencepiece"});
  m_kind->setToolTip(
      tr("bpe: byte-level BPE as GPT-2 (vocab.json + merges.txt); sentencepiece: a SentencePiece BPE "
         "model with byte fallback (tokenizer.model)"));
  m_vocabSize = new QSpinBox(this);
  m_vocabSize->setRange(257, 1000000);
  m_vocabSize->setValue(1024);
  m_vocabSize->setToolTip(tr("Tokens in the vocabulary, bytes and special tokens included"));
  m_outDir = new QLineEdit(QDir(QFileInfo(corpus).absolutePath()).filePath("tokenizer"), this);
  m_outDir->setObjectName("tokenizer.out");
  auto* pick = new QToolButton(this);
  pick->setText("…");
  connect(pick, &QToolButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Tokenizer folder"), m_outDir->text());
    if (!dir.isEmpty()) m_outDir->setText(dir);
  });
  auto* outRow = new QHBoxLayout;
  outRow->addWidget(m_outDir, 1);
  outRow->addWidget(pick);
  form->addRow(tr("Corpus"), m_corpus);
  form->addRow(tr("Kind"), m_kind);
  form->addRow(tr("Vocabulary"), m_vocabSize);
  form->addRow(tr("Save to"), outRow);
  layout->addLayout(form);
  m_progress = new QProgressBar(this);
  m_progress->setRange(0, 100);
  m_progress->setValue(0);
  m_status = new QLabel(this);
  m_status->setWordWrap(true);
  layout->addWidget(m_progress);
  layout->addWidget(m_status);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
  m_train = buttons->addButton(tr("Train"), QDialogButtonBox::ActionRole);
  connect(m_train, &QPushButton::clicked, this, &TokenizerTrainingDialog::start);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  layout->addWidget(buttons);
  resize(520, sizeHint().height());
}

TokenizerTrainingDialog::~TokenizerTrainingDialog() {
  m_cancel = true;  // the task's destructor then waits for the training to notice
  m_worker.wait();
}

void TokenizerTrainingDialog::start() {
  if (m_worker.busy()) {  // the button reads "Cancel" while training
    m_cancel = true;
    return;
  }
  distill::TokenizerTrainingOptions options;
  options.kind = m_kind->currentText().toStdString();
  options.corpus = m_corpus->text().trimmed().toStdString();
  options.vocabSize = m_vocabSize->value();
  options.outDir = m_outDir->text().trimmed().toStdString();
  options.progress = [this](double fraction) {
    QMetaObject::invokeMethod(m_progress, "setValue", Qt::QueuedConnection,
                              Q_ARG(int, static_cast<int>(fraction * 100)));
    return !m_cancel.load();
  };
  m_cancel = false;
  m_status->setText(tr("Training on %1 …").arg(m_corpus->text()));
  m_train->setText(tr("Cancel"));
  m_progress->setValue(0);
  if (options.kind == "sentencepiece") m_progress->setRange(0, 0);  // SentencePiece reports no progress
  struct Outcome {
    bool ok = false;
    QString message, folder;
  };
  m_worker.start(
      this,
      [options] {
        try {
          const auto r = distill::trainTokenizer(options);
          const QString message =
              tr("%1 tokens, saved in %2. The corpus becomes %3 tokens (%4 bytes per token).")
                  .arg(r.vocabSize)
                  .arg(QString::fromStdString(r.path))
                  .arg(r.corpusTokens)
                  .arg(double(r.corpusBytes) / double(std::max(1LL, r.corpusTokens)), 0, 'f', 2);
          return Outcome{true, message, QString::fromStdString(r.path)};
        } catch (const std::exception& e) {
          return Outcome{false, QString::fromUtf8(e.what()), QString()};
        }
      },
      [this](Outcome outcome) { finish(outcome.ok, outcome.message, outcome.folder); });
}

void TokenizerTrainingDialog::finish(bool ok, const QString& message, const QString& folder) {
  m_worker.wait();
  m_train->setText(tr("Train"));
  m_progress->setRange(0, 100);
  m_progress->setValue(ok ? 100 : 0);
  m_status->setText(ok ? message : tr("<b>Not trained:</b> %1").arg(message.toHtmlEscaped()));
  if (ok) emit trained(folder);
}
