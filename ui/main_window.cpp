#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QToolBar>
#include <QVBoxLayout>

#include "distill/duration.h"
#include "distill/run_reader.h"
#include "experiment_form.h"
#include "run_controller.h"
#include "runs_panel.h"
#include "sample_panel.h"
#include "training_charts.h"
#include "yaml_pane.h"

namespace distill {

namespace {

QString formatSeconds(double seconds) { return QString::fromStdString(formatDuration(seconds)); }

}  // namespace

MainWindow::MainWindow(const QString& runsRoot, QWidget* parent) : QMainWindow(parent), m_runsRoot(runsRoot) {
  m_controller = new RunController(this);
  m_form = new ExperimentForm(this);
  m_yaml = new YamlPane(this);
  m_charts = new TrainingCharts(&m_palette, this);
  m_samples = new SamplePanel(&m_palette, this);
  m_runs = new RunsPanel(this);

  m_setupTabs = new QTabWidget(this);
  m_setupTabs->addTab(m_form, tr("Experiment"));
  m_setupTabs->addTab(m_yaml, tr("YAML"));
  m_setupTabs->setMinimumWidth(430);

  auto* right = new QWidget(this);
  auto* rightLayout = new QVBoxLayout(right);
  rightLayout->setContentsMargins(0, 0, 0, 0);
  m_banner = new QLabel(right);
  m_banner->setWordWrap(true);
  m_banner->hide();
  m_viewTabs = new QTabWidget(right);
  m_viewTabs->addTab(m_charts, tr("Training curves"));
  m_viewTabs->addTab(m_samples, tr("Samples"));
  m_viewTabs->addTab(m_runs, tr("Runs"));
  rightLayout->addWidget(m_banner);
  rightLayout->addWidget(m_viewTabs, 1);

  auto* splitter = new QSplitter(this);
  splitter->addWidget(m_setupTabs);
  splitter->addWidget(right);
  splitter->setStretchFactor(0, 0);
  splitter->setStretchFactor(1, 1);
  splitter->setSizes({440, 1060});
  setCentralWidget(splitter);

  m_phase = new QLabel(tr("Idle"), this);
  m_progress = new QProgressBar(this);
  m_progress->setMinimumWidth(260);
  m_progress->setFormat(tr("idle"));
  m_progress->setValue(0);
  m_throughput = new QLabel(this);
  statusBar()->addWidget(m_phase);
  statusBar()->addWidget(m_progress);
  statusBar()->addWidget(m_throughput, 1);

  buildActions();

  connect(m_form, &ExperimentForm::changed, this, &MainWindow::onFormChanged);
  connect(m_form, &ExperimentForm::validityChanged, this, &MainWindow::updateActions);
  connect(m_yaml, &YamlPane::configEdited, this, [this](const ExperimentConfig& config) {
    m_form->setConfig(config);
    setModified(true);
    updateActions();
  });
  connect(m_yaml, &YamlPane::problemChanged, this, &MainWindow::updateActions);

  connect(m_controller, &RunController::started, this, [this](const QString& dir) {
    m_phase->setText(tr("Running: %1").arg(QDir(dir).dirName()));
  });
  connect(m_controller, &RunController::metricsBatch, this,
          [this](const std::vector<MetricPoint>& points) { m_charts->addPoints(QString(), points); });
  connect(m_controller, &RunController::phaseChanged, this, [this](const QString& phase, int total) {
    m_phase->setText(tr("Phase: %1").arg(phase));
    m_progress->setRange(0, std::max(1, total));
    m_progress->setFormat("%v / %m");
    m_progress->setValue(0);
  });
  connect(m_controller, &RunController::progress, this, [this](const ProgressInfo& p) {
    m_progress->setRange(0, std::max(1, p.totalSteps));
    m_progress->setValue(p.step);
    const QString processes = p.processes > 1 ? tr(" on %1 processes").arg(p.processes) : QString();
    m_throughput->setText(tr("%1 · step %2/%3 · %4 tok/s%5 · ETA %6 (elapsed %7)")
                              .arg(QString::fromStdString(p.phase))
                              .arg(p.step)
                              .arg(p.totalSteps)
                              .arg(p.tokensPerSecond, 0, 'f', 0)
                              .arg(processes, formatSeconds(p.etaSeconds), formatSeconds(p.phaseSeconds)));
  });
  connect(m_controller, &RunController::sample, this, [this](const SampleRecord& s) { m_samples->addTrainingSample(s); });
  connect(m_controller, &RunController::message, this, [this](const QString& text) { statusBar()->showMessage(text, 8000); });
  connect(m_controller, &RunController::fault, this, [this](const QString& text) { showBanner(text, true); });
  connect(m_controller, &RunController::pausedChanged, this, &MainWindow::updateActions);
  connect(m_controller, &RunController::finished, this, &MainWindow::onFinished);
  connect(m_runs, &RunsPanel::openRequested, this, &MainWindow::openRun);
  connect(m_runs, &RunsPanel::overlayRequested, this, &MainWindow::overlayRun);
  connect(m_runs, &RunsPanel::resumeRequested, this, &MainWindow::resumeRun);

  m_runs->setRoot(m_runsRoot);
  m_yaml->showConfig(m_form->config());
  setModified(false);
  updateActions();
  resize(1500, 940);
}

MainWindow::~MainWindow() { m_controller->shutdown(); }

void MainWindow::buildActions() {
  auto* file = menuBar()->addMenu(tr("&File"));
  auto* newAction = file->addAction(tr("&New experiment"), this, [this] {
    if (!maybeSave()) return;
    m_path.clear();
    m_form->setConfig(ExperimentConfig{});
    m_yaml->showConfig(m_form->config());
    setModified(false);
    updateActions();
  });
  newAction->setShortcut(QKeySequence::New);
  auto* open = file->addAction(style()->standardIcon(QStyle::SP_DialogOpenButton), tr("&Open…"), this, [this] {
    if (!maybeSave()) return;
    const QString path = QFileDialog::getOpenFileName(this, tr("Open experiment"), QFileInfo(m_path).path(),
                                                      tr("Experiments (*.yaml *.yml)"));
    if (!path.isEmpty()) openExperiment(path);
  });
  open->setShortcut(QKeySequence::Open);
  m_recentMenu = file->addMenu(tr("Open &recent"));
  rebuildRecentMenu();
  auto* save = file->addAction(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("&Save"), this, [this] {
    if (m_path.isEmpty()) {
      const QString path = QFileDialog::getSaveFileName(this, tr("Save experiment"), QString(), tr("Experiments (*.yaml)"));
      if (!path.isEmpty()) saveExperiment(path);
    } else {
      saveExperiment(m_path);
    }
  });
  save->setShortcut(QKeySequence::Save);
  file->addAction(tr("Save &as…"), this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save experiment as"), m_path, tr("Experiments (*.yaml)"));
    if (!path.isEmpty()) saveExperiment(path);
  })->setShortcut(QKeySequence::SaveAs);
  file->addSeparator();
  auto* exportMenu = file->addMenu(tr("&Export charts"));
  exportMenu->addAction(tr("PNG image…"), this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export charts"), "curves.png", tr("PNG (*.png)"));
    if (!path.isEmpty() && !m_charts->exportPng(path)) showBanner(tr("Could not write %1").arg(path), true);
  });
  exportMenu->addAction(tr("PDF document…"), this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export charts"), "curves.pdf", tr("PDF (*.pdf)"));
    if (!path.isEmpty() && !m_charts->exportPdf(path)) showBanner(tr("Could not write %1").arg(path), true);
  });
  exportMenu->addAction(tr("CSV data…"), this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export curve data"), "curves.csv", tr("CSV (*.csv)"));
    if (!path.isEmpty() && !m_charts->exportCsv(path)) showBanner(tr("Could not write %1").arg(path), true);
  });
  file->addSeparator();
  file->addAction(tr("&Quit"), this, &QWidget::close)->setShortcut(QKeySequence::Quit);

  auto* run = menuBar()->addMenu(tr("&Run"));
  m_start = run->addAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("&Start"), this, &MainWindow::start);
  m_start->setShortcut(Qt::CTRL | Qt::Key_R);
  m_start->setToolTip(tr("Train the teacher, then every student distilled and from scratch in lockstep"));
  m_pause = run->addAction(style()->standardIcon(QStyle::SP_MediaPause), tr("&Pause"), this, &MainWindow::togglePause);
  m_pause->setToolTip(tr("Pause after the current step; press again to resume"));
  m_stop = run->addAction(style()->standardIcon(QStyle::SP_MediaStop), tr("S&top"), this, &MainWindow::stop);
  m_stop->setToolTip(tr("Stop after the current step; checkpoints are written"));

  auto* toolbar = addToolBar(tr("Main"));
  toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  toolbar->setMovable(false);
  toolbar->addAction(open);
  toolbar->addAction(save);
  toolbar->addSeparator();
  toolbar->addAction(m_start);
  toolbar->addAction(m_pause);
  toolbar->addAction(m_stop);
}

void MainWindow::updateActions() {
  const bool running = m_controller->isRunning();
  const bool valid = m_form->problems().isEmpty() && m_yaml->problem().isEmpty();
  m_start->setEnabled(!running && valid);
  m_start->setToolTip(valid ? tr("Train the teacher, then every student distilled and from scratch in lockstep")
                            : tr("Fix the problems shown in the form first"));
  m_pause->setEnabled(running);
  m_stop->setEnabled(running);
  const bool paused = m_controller->isPaused();
  m_pause->setText(paused ? tr("Resume") : tr("Pause"));
  m_pause->setIcon(style()->standardIcon(paused ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
  if (running && paused) m_phase->setText(tr("Paused"));
}

void MainWindow::setModified(bool modified) {
  m_modified = modified;
  const QString name = m_path.isEmpty() ? tr("untitled.yaml") : QFileInfo(m_path).fileName();
  setWindowTitle(QString("%1%2 — Distillation Workbench").arg(name, modified ? "*" : ""));
}

void MainWindow::onFormChanged() {
  const auto config = m_form->config();
  m_yaml->showConfig(config);
  setModified(true);
  if (m_controller->isRunning()) {
    LiveSettings live;
    if (config.train.lr != m_runningConfig.train.lr) live.lr = config.train.lr;
    if (config.distill.temperature != m_runningConfig.distill.temperature) live.temperature = config.distill.temperature;
    if (config.distill.alpha != m_runningConfig.distill.alpha) live.alpha = config.distill.alpha;
    if (config.train.eval_interval != m_runningConfig.train.eval_interval) live.evalInterval = config.train.eval_interval;
    if (!live.empty()) {
      m_controller->changeSettings(live);
      m_runningConfig = config;
      statusBar()->showMessage(tr("Setting change sent; it takes effect at the next step"), 5000);
    }
  }
  updateActions();
}

void MainWindow::setExperiment(const ExperimentConfig& config) {
  m_form->setConfig(config);
  m_yaml->showConfig(config);
  setModified(true);
  updateActions();
}

bool MainWindow::openExperiment(const QString& path) {
  const auto loaded = loadExperimentFile(path.toStdString());
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) {
    showBanner(tr("Cannot open %1").arg(path), true);
    return false;
  }
  m_path = QFileInfo(path).absoluteFilePath();
  m_yaml->setSourceDir(QFileInfo(path).absolutePath());
  if (loaded.ok()) {
    m_form->setConfig(loaded.config);
    m_yaml->showConfig(loaded.config);
    const auto& g = loaded.config.generate;
    m_samples->setDefaults(g.prompts.empty() ? QString() : QString::fromStdString(g.prompts.front()),
                           SamplingOptions{g.max_new_tokens, g.temperature, g.top_k, g.top_p, static_cast<uint64_t>(g.seed), false});
    m_banner->hide();
  } else {
    // Show the text as it is, with its first problem marked, so the user can fix it here.
    m_yaml->setText(QString::fromUtf8(file.readAll()));
    m_yaml->parseNow();
    showBanner(tr("%1 has problems: %2").arg(QFileInfo(path).fileName(), m_yaml->problem()), true);
  }
  addRecent(m_path);
  setModified(false);
  updateActions();
  return loaded.ok();
}

bool MainWindow::saveExperiment(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text) || file.write(m_yaml->text().toUtf8()) < 0) {
    showBanner(tr("Could not save %1: %2").arg(path, file.errorString()), true);
    return false;
  }
  m_path = QFileInfo(path).absoluteFilePath();
  addRecent(m_path);
  setModified(false);
  return true;
}

void MainWindow::addRecent(const QString& path) {
  QSettings settings;
  QStringList recent = settings.value("recentFiles").toStringList();
  recent.removeAll(path);
  recent.prepend(path);
  settings.setValue("recentFiles", recent.mid(0, 8));
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  m_recentMenu->clear();
  const QStringList recent = QSettings().value("recentFiles").toStringList();
  for (const auto& path : recent)
    m_recentMenu->addAction(QFileInfo(path).fileName() + "  —  " + QFileInfo(path).path(), this, [this, path] {
      if (maybeSave()) openExperiment(path);
    });
  m_recentMenu->setEnabled(!recent.isEmpty());
}

bool MainWindow::maybeSave() {
  if (!m_modified || !isVisible()) return true;
  const auto answer = QMessageBox::question(this, tr("Unsaved changes"), tr("Save the changes to the experiment first?"),
                                            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
  if (answer == QMessageBox::Cancel) return false;
  if (answer == QMessageBox::Save && !m_path.isEmpty()) return saveExperiment(m_path);
  return true;
}

void MainWindow::start() {
  if (!m_start->isEnabled()) return;
  m_runningConfig = m_form->config();
  QString whyNot;
  if (!m_controller->start(m_runningConfig, m_runsRoot, &whyNot)) {
    showBanner(whyNot, true);
    return;
  }
  m_banner->hide();
  m_charts->clearRun(QString());
  m_samples->setTrainingSamples({});
  m_form->setRunning(true);
  m_viewTabs->setCurrentWidget(m_charts);
  updateActions();
}

void MainWindow::togglePause() {
  if (!m_controller->isRunning()) return;
  if (m_controller->isPaused()) {
    m_banner->hide();
    m_controller->resume();
  } else {
    m_controller->pause();
  }
  updateActions();
}

void MainWindow::stop() {
  if (!m_controller->isRunning()) return;
  m_controller->stop();
  m_phase->setText(tr("Stopping after this step…"));
}

void MainWindow::onFinished(const RunResult& result) {
  m_form->setRunning(false);
  updateActions();
  const QString dir = QString::fromStdString(result.runDir);
  switch (result.status) {
    case RunResult::Status::Completed: m_phase->setText(tr("Completed")); break;
    case RunResult::Status::Cancelled: m_phase->setText(tr("Stopped")); break;
    case RunResult::Status::Failed:
      m_phase->setText(tr("Failed"));
      showBanner(tr("The run failed: %1").arg(QString::fromStdString(result.error)), true);
      break;
  }
  if (!dir.isEmpty()) {
    m_samples->setRunDirectory(dir);
    if (result.status != RunResult::Status::Failed)
      showBanner(tr("Run %1 in %2. Compare the models' samples in the Samples tab.")
                     .arg(result.status == RunResult::Status::Completed ? tr("completed") : tr("stopped"), dir), false);
  }
  m_runs->refresh();
}

void MainWindow::openRun(const QString& dir) {
  // An opened run replaces what the charts show; while a run is live it stays and the opened one
  // is overlaid under its folder name instead.
  for (const auto& key : m_charts->store().keys())
    if (!key.run.isEmpty()) m_charts->clearRun(key.run);
  if (m_controller->isRunning()) {
    overlayRun(dir);
  } else {
    m_charts->clearRun(QString());
    m_charts->addPoints(QString(), readMetrics(dir.toStdString()));
  }
  m_samples->setRunDirectory(dir);
  m_samples->setTrainingSamples(readSamples(dir.toStdString()));
  m_viewTabs->setCurrentWidget(m_charts);
}

void MainWindow::resumeRun(const QString& dir) {
  if (m_controller->isRunning()) {
    showBanner(tr("A run is already going. Stop it before resuming another."), true);
    return;
  }
  const auto point = findResumePoint(dir.toStdString());
  if (!point) {
    showBanner(tr("%1 has no resumable checkpoint (it completed, or stopped before its first one).").arg(dir), true);
    return;
  }
  const auto settings = parseExperiment(point->configYaml, dir.toStdString());
  if (!settings.ok() || !maybeSave()) {
    if (!settings.ok()) showBanner(tr("The settings saved with %1 cannot be read.").arg(dir), true);
    return;
  }
  QString whyNot;
  if (!m_controller->resumeRun(dir, &whyNot)) {
    showBanner(whyNot, true);
    return;
  }
  // The form shows what runs, so live changes are measured against it.
  m_path.clear();
  m_form->setConfig(settings.config);
  m_yaml->showConfig(settings.config);
  setModified(false);
  m_runningConfig = settings.config;
  m_banner->hide();
  for (const auto& key : m_charts->store().keys())
    if (!key.run.isEmpty()) m_charts->clearRun(key.run);
  m_charts->clearRun(QString());
  m_charts->addPoints(QString(), readMetrics(dir.toStdString(), point->metricsBytes));
  m_samples->setTrainingSamples(readSamples(dir.toStdString(), point->samplesBytes));
  m_form->setRunning(true);
  m_viewTabs->setCurrentWidget(m_charts);
  statusBar()->showMessage(tr("Resuming %1 from %2 step %3 of %4")
                               .arg(QDir(dir).dirName(), QString::fromStdString(point->phase))
                               .arg(point->step)
                               .arg(point->totalSteps),
                           8000);
  updateActions();
}

void MainWindow::overlayRun(const QString& dir) {
  const QString label = QDir(dir).dirName();
  m_charts->clearRun(label);
  m_charts->addPoints(label, readMetrics(dir.toStdString()));
}

QString MainWindow::bannerText() const { return m_banner->isVisible() ? m_banner->text() : QString(); }

void MainWindow::showBanner(const QString& text, bool error) {
  m_banner->setText(text);
  m_banner->setStyleSheet(error ? "QLabel { background: #fdecea; color: #8a1c1c; padding: 8px; border: 1px solid #e0a0a0; }"
                                : "QLabel { background: #e8f5e9; color: #1b5e20; padding: 8px; border: 1px solid #a5d6a7; }");
  m_banner->show();
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (m_controller->isRunning()) {
    // Stop the worker cleanly: it finishes the current step, writes its checkpoints and joins.
    m_phase->setText(tr("Stopping the run and saving checkpoints…"));
    m_controller->shutdown();
  }
  event->accept();
}

}  // namespace distill
