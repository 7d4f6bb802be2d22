#include "runs_panel.h"

#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <cmath>
#include <fstream>
#include <sstream>
#include <utility>

#include "background_task.h"
#include "compare_runs_dialog.h"
#include "distill/run_notes.h"
#include "distill/run_reader.h"
#include "distill/twin_comparison.h"
#include "elided_label.h"
#include "repeat_text.h"
#include "run_notes_dialog.h"

namespace distill {

RunsPanel::RunsPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout;
  m_rootLabel = new ElidedLabel(this);
  auto* choose = new QPushButton(tr("Folder…"), this);
  choose->setToolTip(tr("Choose the folder that holds run directories"));
  auto* refresh = new QPushButton(tr("Refresh"), this);
  refresh->setToolTip(tr("Read the run directories again"));
  auto* open = new QPushButton(tr("Open"), this);
  open->setToolTip(tr("Show the selected run's curves and samples (replaces what the charts show)"));
  auto* overlay = new QPushButton(tr("Overlay"), this);
  overlay->setToolTip(tr("Add the selected runs' curves to the charts, to compare runs"));
  bar->addWidget(m_rootLabel, 1);
  bar->addWidget(choose);
  bar->addWidget(refresh);
  bar->addWidget(open);
  m_resume = new QPushButton(tr("Resume"), this);
  m_resume->setObjectName("resumeRun");
  m_resume->setToolTip(tr("Continue the selected stopped or crashed run from its last checkpoint"));
  m_resume->setEnabled(false);
  bar->addWidget(overlay);
  bar->addWidget(m_resume);
  m_compare = new QPushButton(tr("Compare"), this);
  m_compare->setToolTip(tr("The experiment keys that differ between the selected runs (two or more)"));
  m_compare->setEnabled(false);
  m_notes = new QPushButton(tr("Tags && note…"), this);
  m_notes->setToolTip(tr("Tag the selected run and write a note about it (kept in its folder, notes.json)"));
  m_notes->setEnabled(false);
  bar->addWidget(m_compare);
  bar->addWidget(m_notes);
  connect(m_compare, &QPushButton::clicked, this, &RunsPanel::compareSelected);
  connect(m_notes, &QPushButton::clicked, this, &RunsPanel::editSelectedNotes);
  layout->addLayout(bar);
  buildTree();
  buildDetails();
  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(m_tree);
  split->addWidget(m_details);
  split->setStretchFactor(0, 4);
  split->setStretchFactor(1, 1);
  layout->addWidget(split, 1);

  connect(choose, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Runs folder"), m_root);
    if (!dir.isEmpty()) setRoot(dir);
  });
  connect(refresh, &QPushButton::clicked, this, &RunsPanel::refresh);
  connect(open, &QPushButton::clicked, this, [this] {
    const auto runs = selectedRuns();
    if (!runs.isEmpty()) emit openRequested(runs.front());
  });
  connect(overlay, &QPushButton::clicked, this, [this] {
    for (const auto& dir : selectedRuns()) emit overlayRequested(dir);
  });
  connect(m_resume, &QPushButton::clicked, this, [this] {
    const auto runs = selectedRuns();
    if (runs.size() == 1) emit resumeRequested(runs.front());
  });
  // Resume needs one stopped, failed or crashed run (whether it has a checkpoint is told on click).
  connect(m_tree, &QTreeWidget::itemSelectionChanged, this, [this] {
    const auto runs = selectedRuns();
    bool resumable = false;
    if (runs.size() == 1) {
      for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
        auto* item = m_tree->topLevelItem(i);
        if (item->data(0, Qt::UserRole).toString() == runs.front())
          resumable = item->text(1) != "completed" && item->text(1) != "running";
      }
    }
    m_resume->setEnabled(resumable);
    showDetails(runs.size() == 1 ? runs.front() : QString());
    m_compare->setEnabled(runs.size() >= 2);
    m_notes->setEnabled(runs.size() == 1);
  });
  connect(m_tree, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item) {
    while (item->parent()) item = item->parent();
    emit openRequested(item->data(0, Qt::UserRole).toString());
  });
}

void RunsPanel::selectRun(const QString& dir) {
  if (m_loading) {
    m_selectWhenLoaded = dir;  // the table is still being filled
    return;
  }
  const QString wanted = QDir(dir).absolutePath();
  for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
    auto* item = m_tree->topLevelItem(i);
    if (QDir(item->data(0, Qt::UserRole).toString()).absolutePath() != wanted) continue;
    m_tree->clearSelection();
    item->setSelected(true);
    m_tree->scrollToItem(item);
    return;
  }
}

void RunsPanel::buildDetails() {
  // Below the table: what produced the selected run (run.json).
  m_details = new QTreeWidget(this);
  m_details->setObjectName("runDetails");
  m_details->setColumnCount(2);
  m_details->setHeaderLabels({tr("Provenance"), tr("Value")});
  m_details->setRootIsDecorated(false);
  m_details->setToolTip(
      tr("From the run's run.json: build, machine, command, times and SHA-256 of its inputs"));
  showDetails(QString());
}

void RunsPanel::showDetails(const QString& dir) {
  m_details->clear();
  if (dir.isEmpty()) {
    auto* hint =
        new QTreeWidgetItem(m_details, {tr("Select one run to see what produced it (its run.json).")});
    hint->setFirstColumnSpanned(true);
    return;
  }
  const auto fields = m_provenance.value(dir);
  if (fields.empty()) {
    auto* none =
        new QTreeWidgetItem(m_details, {tr("(no run.json: a run from before provenance was recorded)")});
    none->setFirstColumnSpanned(true);
    return;
  }
  for (const auto& f : fields) {
    auto* item =
        new QTreeWidgetItem(m_details, {QString::fromStdString(f.key), QString::fromStdString(f.value)});
    item->setToolTip(1, QString::fromStdString(f.value));
  }
  m_details->resizeColumnToContents(0);
}

void RunsPanel::buildTree() {
  m_tree = new QTreeWidget(this);
  m_tree->setColumnCount(kColumnCount);
  m_tree->setHeaderLabels({tr("Run / model"), tr("Status / role"), tr("Date / arch"), tr("Params"),
                           tr("Val loss"), tr("Bits/char"), tr("Agreement"), tr("Δ vs scratch"),
                           tr("Gap recovered"), tr("Tags"), tr("Size")});
  m_tree->headerItem()->setToolTip(kSize,
                                   tr("Disk space of the run folder: checkpoints, resumable points, logs "
                                      "(train.keep_checkpoints sets how many resumable points stay)"));
  m_tree->headerItem()->setToolTip(
      kDelta, tr("Distilled minus scratch-twin validation loss: below zero, distillation helped. Over "
                 "repeats (train.repeats): the mean of the seed-paired differences, its 95 % interval and "
                 "the verdict"));
  m_tree->headerItem()->setToolTip(kValLoss, tr("Over repeats: mean ± standard deviation"));
  m_tree->headerItem()->setToolTip(
      kBitsPerChar, tr("Validation loss in bits per character of the validation text: unlike the loss per "
                       "token it compares models whose tokenizers differ (a char model: loss / ln 2)"));
  m_tree->headerItem()->setToolTip(kGapRecovered,
                                   tr("Share of the gap between the scratch twin and the teacher that "
                                      "distillation closed: (scratch − distilled) / (scratch − teacher)"));
  m_tree->setSelectionMode(QAbstractItemView::ExtendedSelection);
  m_tree->setAlternatingRowColors(true);
  // Run folders differ at their end (the time stamp): cut names in the middle, never there.
  m_tree->setTextElideMode(Qt::ElideMiddle);
  // Names in full (a sweep's trials share their start); the tags take what is left.
  m_tree->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  m_tree->header()->setSectionResizeMode(kTags, QHeaderView::Stretch);
}

void RunsPanel::setRoot(const QString& root) {
  m_root = root;
  refresh();
}

void RunsPanel::refresh() {
  // Hundreds of run folders take a while to read: never on the GUI thread.
  m_loading = true;
  const int generation = ++m_generation;
  m_rootLabel->setFullText(tr("Runs in %1 (reading…)").arg(QDir(m_root).absolutePath()));
  runInBackground(
      this, [root = m_root.toStdString()] { return listRuns(root); },
      [this, generation](std::vector<RunRecord> runs) {
        if (generation != m_generation) return;  // a newer refresh is on its way
        m_pending = std::move(runs);
        m_filled = 0;
        m_tree->clear();
        m_provenance.clear();
        showDetails(QString());
        fillNextChunk(generation);
      });
}

void RunsPanel::fillNextChunk(int generation) {
  // A few dozen runs per turn of the event loop: a thousand runs never freeze the window.
  constexpr size_t kRunsPerChunk = 40;
  QList<QTreeWidgetItem*> items;
  for (; m_filled < m_pending.size() && items.size() < static_cast<int>(kRunsPerChunk); ++m_filled) {
    items << makeRunItem(m_pending[m_filled]);
    m_provenance.insert(QString::fromStdString(m_pending[m_filled].dir), m_pending[m_filled].provenance);
  }
  m_tree->addTopLevelItems(items);
  for (auto* item : items) item->setExpanded(true);
  if (m_filled <= kRunsPerChunk) {  // the first rows set the column widths
    for (int c = 1; c < m_tree->columnCount(); ++c) m_tree->resizeColumnToContents(c);
  }
  if (m_filled < m_pending.size()) {
    QTimer::singleShot(0, this, [this, generation] {
      if (generation == m_generation) fillNextChunk(generation);
    });
    return;
  }
  m_pending.clear();
  m_loading = false;
  m_rootLabel->setFullText(tr("Runs in %1").arg(QDir(m_root).absolutePath()));
  if (!m_selectWhenLoaded.isEmpty()) selectRun(std::exchange(m_selectWhenLoaded, QString()));
  emit refreshed();
}

QTreeWidgetItem* RunsPanel::makeRunItem(const RunRecord& run) const {
  auto* item = new QTreeWidgetItem;
  const QString dir = QString::fromStdString(run.dir);
  // A sweep's trials carry the sweep's name: every sweep has a trial-000.
  item->setText(0, run.sweep.empty()
                       ? QDir(dir).dirName()
                       : QDir(QString::fromStdString(run.sweep)).dirName() + "/" + QDir(dir).dirName());
  item->setData(0, Qt::UserRole, dir);
  item->setToolTip(0, dir);
  QStringList tags;
  for (const auto& t : run.notes.tags) tags << QString::fromStdString(t);
  item->setText(kTags, tags.join(", "));
  item->setToolTip(kTags, QString::fromStdString(run.notes.note));
  item->setText(1, QString::fromStdString(run.status));
  item->setText(2, QString::fromStdString(run.modified));
  item->setText(kSize, QLocale().formattedDataSize(run.diskBytes, 1, QLocale::DataSizeSIFormat));
  item->setTextAlignment(kSize, Qt::AlignRight | Qt::AlignVCenter);
  const auto pairs = twinPairs(run.models);
  for (const auto& m : run.models) {
    auto* child = new QTreeWidgetItem(item);
    child->setText(0, QString::fromStdString(m.name));
    child->setText(1, m.trained ? QString::fromUtf8(roleName(m.role))
                                : tr("%1, not trained").arg(QString::fromUtf8(roleName(m.role))));
    child->setText(2, QString::fromStdString(m.arch));
    child->setText(3, QLocale().toString(m.params));
    // Over repeats: the mean ± sd of the repeats (the tooltip lists each).
    child->setText(kValLoss, meanText(m.valLoss, m.repeats, &RepeatOutcome::valLoss, 4));
    child->setText(kBitsPerChar, meanText(m.valBitsPerChar, m.repeats, &RepeatOutcome::valBitsPerChar, 4));
    child->setText(kAgreement, meanText(m.agreement, m.repeats, &RepeatOutcome::agreement, 3));
    if (m.repeats.size() >= 2) {
      QStringList each;
      for (const auto& o : m.repeats)
        each << tr("repeat %1 (seed %2): %3").arg(o.repeat).arg(o.seed).arg(o.valLoss, 0, 'f', 4);
      child->setToolTip(kValLoss, each.join('\n'));
    }
    for (const auto& pair : pairs) {
      if (pair.distilled != &m) continue;
      const auto& c = pair.comparison;
      child->setText(kDelta, twinDeltaText(pair));
      child->setToolTip(kDelta, twinDeltaTooltip(pair));
      // Rounded first, so a small negative share shows as 0 %, not -0 %.
      const double percent = std::round(100.0 * c.gapRecovered) + 0.0;
      child->setText(kGapRecovered,
                     std::isfinite(c.gapRecovered) ? QString("%1 %").arg(percent, 0, 'f', 0) : QString("—"));
      const QColor tone = twinTone(pair);
      child->setForeground(kDelta, tone);
      child->setForeground(kGapRecovered, tone);
    }
  }
  return item;
}

bool RunsPanel::setNotes(const QString& dir, const RunNotes& notes) {
  try {
    writeRunNotes(dir.toStdString(), notes);
  } catch (const std::exception& e) {
    m_rootLabel->setFullText(tr("Could not save the note: %1").arg(QString::fromStdString(e.what())));
    return false;
  }
  QStringList tags;
  for (const auto& t : notes.tags) tags << QString::fromStdString(t);
  for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
    auto* item = m_tree->topLevelItem(i);
    if (item->data(0, Qt::UserRole).toString() != dir) continue;
    item->setText(kTags, tags.join(", "));
    item->setToolTip(kTags, QString::fromStdString(notes.note));
  }
  return true;
}

void RunsPanel::editSelectedNotes() {
  const auto runs = selectedRuns();
  if (runs.size() != 1) return;
  RunNotesDialog dialog(QDir(runs.front()).dirName(), readRunNotes(runs.front().toStdString()), this);
  if (dialog.exec() == QDialog::Accepted) setNotes(runs.front(), dialog.notes());
}

void RunsPanel::compareSelected() {
  const auto runs = selectedRuns();
  if (runs.size() < 2) return;
  std::vector<std::string> dirs;
  for (const auto& r : runs) dirs.push_back(r.toStdString());
  runInBackground(
      this,
      [dirs] {
        std::vector<std::string> configs;
        for (const auto& d : dirs) {
          std::ifstream in(d + "/config.yaml");
          std::stringstream text;
          text << in.rdbuf();
          configs.push_back(text.str());  // unreadable: empty, every key shows as absent
        }
        return configs;
      },
      [this, runs](std::vector<std::string> configs) {
        delete m_comparison;
        m_comparison = new CompareRunsDialog(runs, configs, this);
        m_comparison->show();
      });
}

int RunsPanel::runCount() const { return m_tree->topLevelItemCount(); }

QStringList RunsPanel::selectedRuns() const {
  QStringList dirs;
  for (auto* item : m_tree->selectedItems()) {
    while (item->parent()) item = item->parent();
    const QString dir = item->data(0, Qt::UserRole).toString();
    if (!dirs.contains(dir)) dirs << dir;
  }
  return dirs;
}

}  // namespace distill
