#include "compare_runs_dialog.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

#include "distill/run_reader.h"

namespace distill {

namespace {

QString runLabel(const QString& dir) {
  const QDir d(dir);
  QDir parent(dir);
  parent.cdUp();
  // A sweep's trial is named with its sweep: trials of two sweeps share folder names.
  return parent.dirName() == "trials" || parent.dirName() == "teachers"
             ? QDir(parent.absolutePath() + "/..").canonicalPath().section('/', -1) + "/" + d.dirName()
             : d.dirName();
}

}  // namespace

CompareRunsDialog::CompareRunsDialog(const QStringList& runDirs, const std::vector<std::string>& configs,
                                     QWidget* parent)
    : QDialog(parent) {
  setWindowTitle(tr("Compare %1 runs").arg(runDirs.size()));
  auto* layout = new QVBoxLayout(this);
  const auto differences = differingKeys(configs);
  m_table = new QTableWidget(static_cast<int>(differences.size()), runDirs.size(), this);
  m_table->setObjectName("comparison");
  QStringList headers;
  for (const auto& dir : runDirs) headers << runLabel(dir);
  m_table->setHorizontalHeaderLabels(headers);
  QStringList keys;
  for (size_t row = 0; row < differences.size(); ++row) {
    keys << QString::fromStdString(differences[row].key);
    for (size_t col = 0; col < differences[row].values.size(); ++col)
      m_table->setItem(static_cast<int>(row), static_cast<int>(col),
                       new QTableWidgetItem(QString::fromStdString(differences[row].values[col])));
  }
  // Below the keys: what each run ended with, per model.
  std::vector<RunRecord> records;
  for (const auto& dir : runDirs) {
    try {
      records.push_back(readRunSummary(dir.toStdString()));
    } catch (const std::exception&) {
      records.emplace_back();
    }
  }
  QStringList models;
  for (const auto& r : records)
    for (const auto& m : r.models)
      if (!models.contains(QString::fromStdString(m.name))) models << QString::fromStdString(m.name);
  for (const QString& model : models) {
    const int row = m_table->rowCount();
    m_table->insertRow(row);
    keys << tr("%1 val loss").arg(model);
    for (int col = 0; col < static_cast<int>(records.size()); ++col)
      for (const auto& m : records[static_cast<size_t>(col)].models)
        if (QString::fromStdString(m.name) == model && std::isfinite(m.valLoss)) {
          auto* item = new QTableWidgetItem(QString::number(m.valLoss, 'f', 4));
          item->setBackground(QColor("#f3f6fa"));
          m_table->setItem(row, col, item);
        }
  }
  m_table->setVerticalHeaderLabels(keys);
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  auto* note =
      new QLabel(differences.empty() ? tr("The runs' settings are identical.")
                                     : tr("%n experiment key(s) differ; every other key is the same.", "",
                                          static_cast<int>(differences.size())),
                 this);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  layout->addWidget(note);
  layout->addWidget(m_table, 1);
  layout->addWidget(buttons);
  resize(760, 420);
}

}  // namespace distill
