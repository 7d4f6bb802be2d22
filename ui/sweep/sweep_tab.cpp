#include "sweep/sweep_tab.h"

#include <QDir>
#include <QFileDialog>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include "background_task.h"
#include "distill/duration.h"
#include "sweep/sweep_controller.h"
#include "sweep/sweep_definition_editor.h"
#include "sweep/sweep_plots.h"
#include "sweep/trial_table_model.h"

namespace distill {

SweepTab::SweepTab(const QString& runsRoot, QWidget* parent) : QWidget(parent), m_runsRoot(runsRoot) {
  m_controller = new SweepController(this);
  m_model = new TrialTableModel(this);
  auto* layout = new QVBoxLayout(this);
  auto* splitter = new QSplitter(Qt::Vertical, this);
  splitter->addWidget(buildControls());
  splitter->addWidget(buildTrialTable());
  auto* plots = m_plotTabs = new QTabWidget(this);
  m_parallel = new ParallelCoordinatesPlot(plots);
  m_scatter = new ObjectiveScatterPlot(plots);
  plots->addTab(m_parallel, tr("Parallel coordinates"));
  plots->addTab(m_scatter, tr("Objective vs parameter"));
  splitter->addWidget(plots);
  splitter->setStretchFactor(0, 0);
  splitter->setStretchFactor(1, 1);
  splitter->setStretchFactor(2, 1);
  splitter->setSizes({190, 300, 340});
  layout->addWidget(splitter);
  connectController();
  connect(m_editor, &SweepDefinitionEditor::changed, this, &SweepTab::revalidate);
  // Plots redraw at most every 250 ms: trial rows change at up to 30 Hz while trials step.
  auto* plotTimer = new QTimer(this);
  plotTimer->setInterval(250);
  connect(plotTimer, &QTimer::timeout, this, [this] {
    if (m_plotsDirty) redrawPlots();
  });
  plotTimer->start();
  updateButtons();
}

SweepTab::~SweepTab() { m_controller->shutdown(); }

QWidget* SweepTab::buildControls() {
  auto* box = new QWidget(this);
  auto* layout = new QVBoxLayout(box);
  layout->setContentsMargins(0, 0, 0, 0);
  m_editor = new SweepDefinitionEditor(box);
  m_problemLabel = new QLabel(box);
  m_problemLabel->setObjectName("sweepProblems");
  m_problemLabel->setWordWrap(true);
  m_problemLabel->setStyleSheet("QLabel { background: #fdecea; color: #8a1c1c; padding: 4px; }");
  m_problemLabel->hide();
  auto* buttons = new QHBoxLayout;
  m_startButton = new QPushButton(tr("Start sweep"), box);
  m_startButton->setObjectName("startSweep");
  m_pauseButton = new QPushButton(tr("Pause"), box);
  m_stopButton = new QPushButton(tr("Stop"), box);
  m_stopButton->setToolTip(tr("Stops every trial after its current step; the sweep can be resumed"));
  m_resumeButton = new QPushButton(tr("Resume sweep"), box);
  m_resumeButton->setToolTip(
      tr("Finish the sweep shown: finished trials stay, the ones in flight resume from "
         "their checkpoints"));
  connect(m_resumeButton, &QPushButton::clicked, this, &SweepTab::resumeShownSweep);
  auto* open = new QPushButton(tr("Open sweep…"), box);
  open->setToolTip(tr("Show the trials of a sweep folder (sweep.json)"));
  m_status = new QLabel(tr("No sweep yet"), box);
  m_status->setObjectName("sweepStatus");
  connect(m_startButton, &QPushButton::clicked, this, &SweepTab::start);
  connect(m_pauseButton, &QPushButton::clicked, this, &SweepTab::togglePause);
  connect(m_stopButton, &QPushButton::clicked, this, &SweepTab::stop);
  connect(open, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Sweep folder"), m_runsRoot);
    if (!dir.isEmpty()) showSweep(dir);
  });
  for (auto* b : {m_startButton, m_pauseButton, m_stopButton, m_resumeButton, open}) buttons->addWidget(b);
  buttons->addWidget(m_status, 1);
  layout->addWidget(m_editor);
  layout->addWidget(m_problemLabel);
  layout->addLayout(buttons);
  return box;
}

QWidget* SweepTab::buildTrialTable() {
  auto* box = new QWidget(this);
  auto* layout = new QVBoxLayout(box);
  layout->setContentsMargins(0, 0, 0, 0);
  m_filter = new QLineEdit(box);
  m_filter->setPlaceholderText(tr("Filter trials (any column, e.g. completed, jsd)"));
  m_filter->setClearButtonEnabled(true);
  m_proxy = new QSortFilterProxyModel(this);
  m_proxy->setSourceModel(m_model);
  m_proxy->setSortRole(TrialTableModel::kSortRole);
  m_proxy->setFilterKeyColumn(-1);
  m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
  connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
  m_table = new QTableView(box);
  m_table->setObjectName("trialTable");
  m_table->setModel(m_proxy);
  m_table->setSortingEnabled(true);
  m_table->sortByColumn(0, Qt::AscendingOrder);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
  m_table->setItemDelegateForColumn(m_model->progressColumn(), new ProgressDelegate(m_table));
  m_table->verticalHeader()->hide();
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(m_table, &QTableView::customContextMenuRequested, this, &SweepTab::showTrialMenu);
  connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
          &SweepTab::onSelectionChanged);
  layout->addWidget(m_filter);
  layout->addWidget(m_table, 1);
  return box;
}

void SweepTab::connectController() {
  connect(m_controller, &SweepController::started, this,
          [this](const QString& dir) { emit message(tr("Sweep folder: %1").arg(dir)); });
  connect(m_controller, &SweepController::trialsChanged, this, [this](const std::vector<SweepTrial>& trials) {
    m_model->updateTrials(trials);
    m_table->resizeColumnsToContents();
    m_plotsDirty = true;
  });
  connect(
      m_controller, &SweepController::trialProgress, this,
      [this](int id, int step, int total, const QString& phase) {
        if (id >= 0)
          m_model->setProgress(id, step, total, phase);
        else
          m_status->setText(
              tr("Teacher %1 (trained once for the sweep): step %2 / %3").arg(-1 - id).arg(step).arg(total));
      });
  connect(m_controller, &SweepController::trialMetrics, this,
          [this](int id, const std::vector<MetricPoint>& points) {
            const auto selected = selectedTrialIds();
            if (std::find(selected.begin(), selected.end(), id) == selected.end()) return;
            const SweepTrial* t = m_model->trial(id);
            if (t) emit selectedTrialMetrics(QDir(QString::fromStdString(t->runDir)).dirName(), points);
          });
  connect(m_controller, &SweepController::sweepProgress, this, [this](int finished, int planned, double eta) {
    m_status->setText(tr("%1 / %2 trials done · sweep ETA %3")
                          .arg(finished)
                          .arg(planned)
                          .arg(QString::fromStdString(formatDuration(eta))));
  });
  connect(m_controller, &SweepController::message, this, &SweepTab::message);
  connect(m_controller, &SweepController::finished, this, [this](const SweepResult& result) {
    m_shownDir = QString::fromStdString(result.dir);  // a stopped sweep: Resume sweep continues it
    m_shownDone = result.status == SweepResult::Status::Completed;
    static const char* kHow[] = {"completed", "stopped (Resume continues it)", "failed"};
    m_status->setText(tr("Sweep %1: %2 trials, %3 · best: trial %4")
                          .arg(QString::fromUtf8(kHow[static_cast<int>(result.status)]))
                          .arg(result.trials.size())
                          .arg(QString::fromStdString(formatDuration(result.wallSeconds)))
                          .arg(result.bestTrial));
    if (result.status == SweepResult::Status::Failed)
      emit message(tr("Sweep failed: %1").arg(QString::fromStdString(result.error)));
    m_model->updateTrials(result.trials);
    sortByObjective();
    redrawPlots();
    updateButtons();
    emit runningChanged(false);
  });
}

SweepFile SweepTab::sweepFile() const {
  const std::string text = experimentToYaml(m_experiment) + sweepToYaml(m_editor->definition());
  return parseSweepFile(text, m_runsRoot.toStdString(), {}, m_experiment.name);
}

void SweepTab::setExperiment(const ExperimentConfig& config) {
  m_experiment = config;
  QStringList models = {"teacher"};
  for (const auto& s : config.students) {
    models << QString::fromStdString(s.name + "-kd");
    if (s.scratch_twin) models << QString::fromStdString(s.name + "-scratch");
  }
  m_editor->setModels(models);
  revalidate();
}

void SweepTab::setDefinition(const SweepDefinition& definition) { m_editor->setDefinition(definition); }

void SweepTab::sweepKey(const QString& key, const QString& currentValue) {
  m_editor->addParameter(key, currentValue);
}

void SweepTab::revalidate() {
  m_problems.clear();
  if (m_editor->definition().parameters.empty()) {
    m_problems << tr(
        "Choose keys to sweep: right-click a field of the Experiment form → Sweep…, or Add key.");
  } else {
    for (const auto& p : sweepFile().problems) m_problems << QString::fromStdString(p.key + ": " + p.message);
  }
  m_problemLabel->setText(m_problems.join("\n"));
  m_problemLabel->setVisible(!m_problems.isEmpty());
  updateButtons();
}

void SweepTab::start() {
  if (m_controller->isRunning() || !m_problems.isEmpty()) return;
  if (refusedWhileBusy()) return;
  const SweepFile file = sweepFile();
  QString whyNot;
  if (!m_controller->start(file, m_runsRoot, &whyNot)) {
    emit message(whyNot);
    return;
  }
  m_model->reset(file.sweep, {});
  m_table->sortByColumn(0, Qt::AscendingOrder);  // trials in order while they run
  m_status->setText(tr("Starting the sweep…"));
  redrawPlots();
  updateButtons();
  emit runningChanged(true);
}

bool SweepTab::refusedWhileBusy() {
  const QString why = m_whyBusy ? m_whyBusy() : QString();
  if (!why.isEmpty()) emit message(why);
  return !why.isEmpty();
}

void SweepTab::resumeShownSweep() {
  if (m_controller->isRunning() || m_shownDir.isEmpty() || m_shownDone) return;
  if (refusedWhileBusy()) return;
  QString whyNot;
  if (!m_controller->resumeSweep(m_shownDir, &whyNot)) {
    emit message(whyNot);
    return;
  }
  m_status->setText(tr("Resuming %1…").arg(QDir(m_shownDir).dirName()));
  updateButtons();
  emit runningChanged(true);
}

void SweepTab::togglePause() {
  if (!m_controller->isRunning()) return;
  if (m_controller->isPaused())
    m_controller->resume();
  else
    m_controller->pause();
  updateButtons();
}

void SweepTab::stop() {
  m_controller->stop();
  m_status->setText(tr("Stopping: every trial saves a checkpoint after its current step…"));
}

void SweepTab::showSweep(const QString& dir) {
  runInBackground(
      this,
      [path = dir.toStdString()]() -> std::pair<SweepResult, std::string> {
        try {
          return {readSweep(path), ""};
        } catch (const std::exception& e) {
          return {SweepResult(), e.what()};
        }
      },
      [this, dir](std::pair<SweepResult, std::string> read) {
        if (!read.second.empty()) {
          emit message(QString::fromStdString(read.second));
          return;
        }
        m_shownDir = dir;
        m_shownDone = read.first.status == SweepResult::Status::Completed;
        updateButtons();
        m_model->reset(read.first.definition, read.first.trials);
        m_editor->setDefinition(read.first.definition);
        m_table->resizeColumnsToContents();
        m_status->setText(tr("%1: %2 trials · best: trial %3")
                              .arg(QDir(dir).dirName())
                              .arg(read.first.trials.size())
                              .arg(read.first.bestTrial));
        sortByObjective();
        selectTrial(read.first.bestTrial);  // its curves and samples come up
        redrawPlots();
      });
}

void SweepTab::redrawPlots() {
  m_plotsDirty = false;
  const auto ids = selectedTrialIds();
  const std::set<int> highlighted(ids.begin(), ids.end());
  m_parallel->showTrials(m_model->definition(), m_model->trials(), m_model->bestTrial(), highlighted);
  m_scatter->showTrials(m_model->definition(), m_model->trials(), m_model->bestTrial(), highlighted);
}

void SweepTab::sortByObjective() {
  const int objective = m_model->objectiveColumn();
  m_table->sortByColumn(objective,
                        m_model->definition().objective.minimize ? Qt::AscendingOrder : Qt::DescendingOrder);
}

void SweepTab::selectTrial(int id) {
  for (int row = 0; row < m_proxy->rowCount(); ++row)
    if (m_proxy->index(row, 0).data(TrialTableModel::kTrialIdRole).toInt() == id) m_table->selectRow(row);
}

std::vector<int> SweepTab::selectedTrialIds() const {
  std::vector<int> ids;
  for (const auto& index : m_table->selectionModel()->selectedRows())
    ids.push_back(index.data(TrialTableModel::kTrialIdRole).toInt());
  return ids;
}

void SweepTab::onSelectionChanged() {
  QStringList dirs;
  for (int id : selectedTrialIds())
    if (const SweepTrial* t = m_model->trial(id); t && !t->runDir.empty())
      dirs << QString::fromStdString(t->runDir);
  m_plotsDirty = true;
  if (!dirs.isEmpty()) emit trialsSelected(dirs);
}

void SweepTab::showTrialMenu(const QPoint& at) {
  const QModelIndex index = m_table->indexAt(at);
  if (!index.isValid()) return;
  const int id = index.data(TrialTableModel::kTrialIdRole).toInt();
  const SweepTrial* t = m_model->trial(id);
  if (!t) return;
  QMenu menu(this);
  const bool running = m_controller->isRunning() && t->status == SweepTrial::Status::Running;
  menu.addAction(tr("Stop trial %1").arg(id), this, [this, id] { m_controller->stopTrial(id); })
      ->setEnabled(running);
  menu.addAction(tr("Pause trial %1").arg(id), this, [this, id] { m_controller->pauseTrial(id); })
      ->setEnabled(running);
  menu.addAction(tr("Resume trial %1").arg(id), this, [this, id] { m_controller->resumeTrial(id); })
      ->setEnabled(running);
  menu.addSeparator();
  const QString dir = QString::fromStdString(t->runDir);
  menu.addAction(tr("Open its run"), this, [this, dir] { emit openRunRequested(dir); })
      ->setEnabled(!dir.isEmpty());
  menu.exec(m_table->viewport()->mapToGlobal(at));
}

void SweepTab::updateButtons() {
  const bool running = m_controller->isRunning();
  m_startButton->setEnabled(!running && m_problems.isEmpty());
  m_pauseButton->setEnabled(running);
  m_pauseButton->setText(running && m_controller->isPaused() ? tr("Resume") : tr("Pause"));
  m_stopButton->setEnabled(running);
  m_resumeButton->setEnabled(!running && !m_shownDir.isEmpty() && !m_shownDone);
  m_editor->setEnabled(!running);
}

QString SweepTab::statusText() const { return m_status->text(); }

}  // namespace distill
