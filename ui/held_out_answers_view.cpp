#include "held_out_answers_view.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

#include "distill/run_reader.h"
#include "distill/text_metrics.h"

namespace distill {

namespace {

/// Newlines and tabs as visible escapes: an answer fits its cell, and an extra newline shows.
QString visible(const std::string& text) {
  return QString::fromStdString(text).replace("\n", "\\n").replace("\t", "\\t");
}

}  // namespace

HeldOutAnswersView::HeldOutAnswersView(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  m_summary = new QLabel(this);
  m_summary->setObjectName("heldOutSummary");
  m_summary->setWordWrap(true);
  m_table = new QTableWidget(this);
  m_table->setObjectName("heldOutAnswers");
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->verticalHeader()->setVisible(false);
  // Columns as wide as their model's name and answers (a run of many models scrolls sideways
  // rather than cutting names); the last one takes what is left.
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->setToolTip(
      tr("Greedy answers to held-out prompts, written when the run ended. Green: the "
         "reference; red: not. Double-click a prompt to generate from it above"));
  connect(m_table, &QTableWidget::cellDoubleClicked, this, [this](int row, int) {
    if (auto* item = m_table->item(row, 0)) emit promptChosen(item->data(Qt::UserRole).toString());
  });
  layout->addWidget(m_summary);
  layout->addWidget(m_table, 1);
  setVisible(false);
}

QString HeldOutAnswersView::firstPrompt() const {
  const auto* item = m_table->rowCount() > 0 ? m_table->item(0, 0) : nullptr;
  return item ? item->data(Qt::UserRole).toString() : QString();
}

void HeldOutAnswersView::load(const QString& runDir) {
  const auto rows = readHeldOutAnswers(runDir.toStdString());
  m_table->clear();
  setVisible(!rows.empty());
  if (rows.empty()) return;
  QStringList headers = {tr("Prompt"), tr("Reference")};
  std::vector<int> exact;
  for (const auto& [model, answer] : rows.front().answers) {
    headers << QString::fromStdString(model);
    exact.push_back(0);
  }
  m_table->setColumnCount(static_cast<int>(headers.size()));
  m_table->setRowCount(static_cast<int>(rows.size()));
  m_table->setHorizontalHeaderLabels(headers);
  for (int r = 0; r < static_cast<int>(rows.size()); ++r) {
    const auto& row = rows[static_cast<size_t>(r)];
    auto* prompt = new QTableWidgetItem(visible(row.prompt));
    prompt->setData(Qt::UserRole, QString::fromStdString(row.prompt));
    m_table->setItem(r, 0, prompt);
    m_table->setItem(r, 1, new QTableWidgetItem(visible(row.reference)));
    for (size_t m = 0; m < row.answers.size() && m < exact.size(); ++m) {
      const bool right = exactMatch(row.answers[m].second, row.reference);
      exact[m] += right ? 1 : 0;
      auto* cell = new QTableWidgetItem(visible(row.answers[m].second));
      cell->setBackground(right ? QColor("#e3f4e1") : QColor("#fbe4e4"));
      m_table->setItem(r, static_cast<int>(m) + 2, cell);
    }
  }
  m_table->resizeColumnsToContents();
  QStringList shares;
  for (size_t m = 0; m < exact.size(); ++m)
    shares
        << tr("%1 %2%").arg(headers[static_cast<int>(m) + 2]).arg(100.0 * exact[m] / rows.size(), 0, 'f', 1);
  m_summary->setText(tr("Held-out prompts: %1, answered greedily when the run ended. Exact match: %2")
                         .arg(rows.size())
                         .arg(shares.join(" · ")));
}

}  // namespace distill
