#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QToolBar>
#include <QVBoxLayout>
#include <QtGlobal>
#include <algorithm>

#include "background_task.h"
#include "distill/build_info.h"
#include "distill/duration.h"
#include "distill/report.h"
#include "distill/run_reader.h"
#include "distill/sweep.h"
#include "elided_label.h"
#include "experiment_form.h"
#include "run_controller.h"
#include "runs_panel.h"
#include "sample_panel.h"
#include "sweep/sweep_controller.h"
#include "sweep/sweep_definition_editor.h"
#include "sweep/sweep_tab.h"
#include "training_charts.h"
#include "wheel_guard.h"
#include "yaml_pane.h"

namespace distill {

namespace {

QString formatSeconds(double seconds) { return QString::fromStdString(formatDuration(seconds)); }

/// "cpu fp32 · peak 256 MB RSS" or "cuda:0 bf16 · peak 2.1 GB on the GPU".
QString computeText(const ComputeUse& use) {
  const QString peak = QLocale::system().formattedDataSize(use.peakMemoryBytes, 1, QLocale::DataSizeSIFormat);
  const bool onGpu = use.peakMemoryOf == "cuda allocator";
  return QObject::tr("%1 %2 · peak %3 %4")
      .arg(QString::fromStdString(use.device), QString::fromStdString(use.precision), peak,
           onGpu ? QObject::tr("on the GPU") : QObject::tr("RSS"));
}

/// Steps presets beside Start: 0 keeps the experiment's own steps.
struct RunLength {
  const char* label;
  int steps;
  const char* tip;
};
constexpr RunLength kRunLengths[] = {
    {"Steps as set", 0, "Train for the steps the experiment sets (Training group of the form)"},
    {"Quick: 200 + 200 steps", 200, "A first look: 200 teacher steps, then 200 steps for every student"},
    {"Smoke test: 20 + 20 steps", 20, "Checks that everything runs: 20 teacher and 20 student steps"},
};

}  // namespace

MainWindow::MainWindow(const QString& runsRoot, QWidget* parent) : QMainWindow(parent), m_runsRoot(runsRoot) {
  // Covers every spin box, combo box and slider of the application, including later dialogs.
  qApp->installEventFilter(new WheelGuard(this));
  m_controller = new RunController(this);
  m_form = new ExperimentForm(this);
  m_form->setTokenCacheFolder(QString::fromStdString(tokenCacheFolder(runsRoot.toStdString())));
  m_yaml = new YamlPane(this);
  m_charts = new TrainingCharts(&m_palette, this);
  m_samples = new SamplePanel(&m_palette, this);
  m_runs = new RunsPanel(this);
  m_sweep = new SweepTab(runsRoot, this);

  buildLayout();

  buildActions();

  connectEditors();

  connectRun();

  connectSweep();

  m_runs->setRoot(m_runsRoot);
  m_yaml->showConfig(m_form->config());
  showOnScreen();
  setModified(false);
  updateActions();
  resize(1500, 940);
}

MainWindow::~MainWindow() { m_controller->shutdown(); }

void MainWindow::connectSweep() {
  m_sweep->setExperiment(m_form->config());
  for (auto signal : {&ExperimentForm::changed, &ExperimentForm::configShown})
    connect(m_form, signal, this, [this] { m_sweep->setExperiment(m_form->config()); });
  connect(m_form, &ExperimentForm::sweepRequested, this, [this](const QString& key, const QString& value) {
    m_sweep->sweepKey(key, value);
    m_viewTabs->setCurrentWidget(m_sweep);
  });
  connect(m_sweep, &SweepTab::trialsSelected, this, &MainWindow::showTrials);
  connect(m_sweep, &SweepTab::selectedTrialMetrics, this,
          [this](const QString& label, const std::vector<MetricPoint>& points) {
            m_charts->addPoints(label, points);
          });
  connect(m_sweep, &SweepTab::openRunRequested, this, &MainWindow::openRun);
  connect(m_sweep, &SweepTab::message, this, [this](const QString& text) { showBanner(text, false); });
  connect(m_sweep, &SweepTab::runningChanged, this, [this] {
    updateActions();
    m_runs->refresh();
  });
  // One kind of work at a time: a run and a sweep would share the cores.
  m_sweep->setBusyCheck([this] {
    return m_controller->isRunning() ? tr("A run is going: stop it before starting a sweep.") : QString();
  });
}

void MainWindow::showTrials(const QStringList& dirs) {
  m_charts->clearOverlays();
  // The first trial is the charts' own run unless something trains now (then all are overlays,
  // labelled by folder, as live trial metrics are).
  const bool firstIsMain = !m_controller->isRunning() && !m_sweep->controller()->isRunning();
  if (!m_controller->isRunning()) m_charts->clearRun(QString());
  for (const QString& dir : dirs) {
    const QString label = firstIsMain && dir == dirs.front() ? QString() : QDir(dir).dirName();
    runInBackground(
        this, [path = dir.toStdString()] { return readMetrics(path); },
        [this, label](std::vector<MetricPoint> points) { m_charts->addPoints(label, points); });
  }
  const QString first = dirs.front();
  m_samples->setRunDirectory(first);
  runInBackground(
      this, [path = first.toStdString()] { return readSamples(path); },
      [this](std::vector<SampleRecord> samples) { m_samples->setTrainingSamples(samples); });
  m_chartsRun = first;
  showOnScreen();
}

void MainWindow::buildLayout() {
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
  m_onScreen = new ElidedLabel(right);
  m_onScreen->setObjectName("onScreen");
  m_onScreen->setStyleSheet("color: #444; padding: 2px 4px;");
  m_viewTabs = new QTabWidget(right);
  m_viewTabs->addTab(m_charts, tr("Training curves"));
  m_viewTabs->addTab(m_samples, tr("Samples"));
  m_viewTabs->addTab(m_runs, tr("Runs"));
  m_viewTabs->addTab(m_sweep, tr("Sweep"));
  rightLayout->addWidget(m_onScreen);
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
}

void MainWindow::connectEditors() {
  connect(m_form, &ExperimentForm::changed, this, &MainWindow::onFormChanged);
  connect(m_form, &ExperimentForm::validityChanged, this, &MainWindow::updateActions);
  connect(m_yaml, &YamlPane::configEdited, this, [this](const ExperimentConfig& config) {
    m_form->setConfig(config);
    setModified(true);
    updateActions();
  });
  connect(m_yaml, &YamlPane::problemChanged, this, &MainWindow::onYamlProblemChanged);
}

void MainWindow::connectRun() {
  connect(m_controller, &RunController::started, this, [this](const QString& dir) {
    m_lastPhase = tr("Running: %1").arg(QDir(dir).dirName());
    m_lastProgress = ProgressInfo{};
    m_phase->setText(m_lastPhase);
    // From now on the charts and Generate both follow the new run, never an older one.
    m_chartsRun = dir;
    m_samples->setRunDirectory(dir);
    showOnScreen();
  });
  connect(m_controller, &RunController::metricsBatch, this,
          [this](const std::vector<MetricPoint>& points) { m_charts->addPoints(QString(), points); });
  connect(m_controller, &RunController::phaseChanged, this, [this](const QString& phase, int total) {
    m_lastPhase = tr("Phase: %1").arg(phase);
    if (!m_controller->isPaused()) m_phase->setText(m_lastPhase);
    m_progress->setRange(0, std::max(1, total));
    m_progress->setFormat("%v / %m");
    m_progress->setValue(0);
  });
  connect(m_controller, &RunController::progress, this, [this](const ProgressInfo& p) {
    if (p.totalSteps > 0) m_lastProgress = p;
    m_progress->setRange(0, std::max(1, p.totalSteps));
    m_progress->setValue(p.step);
    const QString processes = p.processes > 1 ? tr(" on %1 processes").arg(p.processes) : QString();
    const QString repeat = p.repeats > 1 ? tr(" (repeat %1/%2)").arg(p.repeat).arg(p.repeats) : QString();
    m_throughput->setText(tr("%1 · step %2/%3 · %4 tok/s%5 · ETA %6 (elapsed %7) · %8")
                              .arg(QString::fromUtf8(phaseName(p.phase)) + repeat)
                              .arg(p.step)
                              .arg(p.totalSteps)
                              .arg(p.tokensPerSecond, 0, 'f', 0)
                              .arg(processes, formatSeconds(p.etaSeconds), formatSeconds(p.phaseSeconds),
                                   computeText(p.compute)));
  });
  connect(m_controller, &RunController::sample, this,
          [this](const SampleRecord& s) { m_samples->addTrainingSample(s); });
  connect(m_controller, &RunController::message, this,
          [this](const QString& text) { statusBar()->showMessage(text, 8000); });
  connect(m_controller, &RunController::fault, this, [this](const QString& text) { showBanner(text, true); });
  connect(m_controller, &RunController::pausedChanged, this, &MainWindow::updateActions);
  connect(m_controller, &RunController::finished, this, &MainWindow::onFinished);
  connect(m_runs, &RunsPanel::openRequested, this, &MainWindow::openRun);
  connect(m_runs, &RunsPanel::overlayRequested, this, &MainWindow::overlayRun);
  connect(m_runs, &RunsPanel::resumeRequested, this, &MainWindow::resumeRun);
}

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
  auto* open =
      file->addAction(style()->standardIcon(QStyle::SP_DialogOpenButton), tr("&Open…"), this, [this] {
        if (!maybeSave()) return;
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Open experiment"), QFileInfo(m_path).path(), tr("Experiments (*.yaml *.yml)"));
        if (!path.isEmpty()) openExperiment(path);
      });
  open->setShortcut(QKeySequence::Open);
  m_recentMenu = file->addMenu(tr("Open &recent"));
  rebuildRecentMenu();
  auto* save = file->addAction(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("&Save"), this, [this] {
    if (m_path.isEmpty()) {
      const QString path =
          QFileDialog::getSaveFileName(this, tr("Save experiment"), QString(), tr("Experiments (*.yaml)"));
      if (!path.isEmpty()) saveExperiment(path);
    } else {
      saveExperiment(m_path);
    }
  });
  save->setShortcut(QKeySequence::Save);
  file->addAction(tr("Save &as…"), this,
                  [this] {
                    const QString path = QFileDialog::getSaveFileName(this, tr("Save experiment as"), m_path,
                                                                      tr("Experiments (*.yaml)"));
                    if (!path.isEmpty()) saveExperiment(path);
                  })
      ->setShortcut(QKeySequence::SaveAs);
  file->addSeparator();
  buildExportMenu(file);
  file->addSeparator();
  file->addAction(tr("&Quit"), this, &QWidget::close)->setShortcut(QKeySequence::Quit);

  buildRunMenu();

  auto* toolbar = addToolBar(tr("Main"));
  toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  toolbar->setMovable(false);
  toolbar->addAction(open);
  toolbar->addAction(save);
  toolbar->addSeparator();
  toolbar->addWidget(m_runLength);
  toolbar->addAction(m_start);
  toolbar->addAction(m_pause);
  toolbar->addAction(m_stop);
  buildHelpMenu();
}

void MainWindow::buildExportMenu(QMenu* file) {
  auto* exportMenu = file->addMenu(tr("&Export"));
  exportMenu->addAction(tr("Report (HTML)…"), this, &MainWindow::exportReport);
  exportMenu->addSeparator();
  exportMenu->addAction(tr("Charts as PNG image…"), this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export charts"), "curves.png", tr("PNG (*.png)"));
    if (!path.isEmpty() && !m_charts->exportPng(path)) showBanner(tr("Could not write %1").arg(path), true);
  });
  exportMenu->addAction(tr("Charts as PDF document…"), this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export charts"), "curves.pdf", tr("PDF (*.pdf)"));
    if (!path.isEmpty() && !m_charts->exportPdf(path)) showBanner(tr("Could not write %1").arg(path), true);
  });
  exportMenu->addAction(tr("Curve data as CSV…"), this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export curve data"), "curves.csv", tr("CSV (*.csv)"));
    if (!path.isEmpty() && !m_charts->exportCsv(path)) showBanner(tr("Could not write %1").arg(path), true);
  });
}

void MainWindow::exportReport() {
  if (m_chartsRun.isEmpty()) {
    showBanner(tr("Open a run (Runs tab) or train one first: the report is about the run the charts show."),
               true);
    return;
  }
  const QString path = QFileDialog::getSaveFileName(this, tr("Export report"), m_chartsRun + "/report.html",
                                                    tr("HTML (*.html)"));
  if (path.isEmpty()) return;
  statusBar()->showMessage(tr("Writing the report (every model continues a prompt)…"));
  // Sampling every model takes seconds: off the GUI thread.
  runInBackground(
      this,
      [dir = m_chartsRun.toStdString(), file = path.toStdString()]() -> QString {
        try {
          writeRunReport(dir, file);
          return {};
        } catch (const std::exception& e) {
          return QString::fromUtf8(e.what());
        }
      },
      [this, path](const QString& error) {
        if (error.isEmpty())
          statusBar()->showMessage(tr("Report written: %1").arg(path), 10000);
        else
          showBanner(tr("Could not write the report: %1").arg(error), true);
      });
}

void MainWindow::buildRunMenu() {
  auto* run = menuBar()->addMenu(tr("&Run"));
  m_start =
      run->addAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("&Start"), this, &MainWindow::start);
  m_start->setShortcut(Qt::CTRL | Qt::Key_R);
  m_start->setToolTip(tr("Train the teacher, then every student distilled and from scratch in lockstep"));
  m_pause = run->addAction(style()->standardIcon(QStyle::SP_MediaPause), tr("&Pause"), this,
                           &MainWindow::togglePause);
  m_pause->setShortcut(Qt::CTRL | Qt::Key_P);
  m_pause->setToolTip(tr("Pause after the current step; press again to resume (Ctrl+P)"));
  m_stop = run->addAction(style()->standardIcon(QStyle::SP_MediaStop), tr("S&top"), this, &MainWindow::stop);
  m_stop->setShortcut(Qt::CTRL | Qt::Key_Period);
  m_stop->setToolTip(tr("Stop after the current step; checkpoints are written (Ctrl+.)"));
  m_runLength = new QComboBox(this);
  m_runLength->setObjectName("runLength");
  for (const auto& length : kRunLengths) {
    m_runLength->addItem(tr(length.label), length.steps);
    m_runLength->setItemData(m_runLength->count() - 1, tr(length.tip), Qt::ToolTipRole);
  }
  m_runLength->setToolTip(tr("How long Start trains: the experiment's own steps, or a quick try"));
}

void MainWindow::buildHelpMenu() {
  auto* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&Getting started"), this, [this] {
    QMessageBox::information(
        this, tr("Getting started"),
        tr("<p>An experiment trains a <b>teacher</b>, then distils it into each <b>student</b>; every "
           "student "
           "has a <b>scratch twin</b> (the same model trained without the teacher), so the gain from "
           "distilling "
           "is measured, not guessed.</p>"
           "<ol><li>Pick a run length next to Start (<i>Quick</i> for a first look) and press <b>Start</b> "
           "(Ctrl+R).</li>"
           "<li>Watch the curves: the top chart compares every model's cross-entropy on the true next token; "
           "lower is better.</li>"
           "<li>While it runs, change the <b>Live settings</b> at the top of the form (lr, temperature, "
           "alpha, "
           "eval interval); Pause (Ctrl+P) and Stop (Ctrl+.) keep checkpoints.</li>"
           "<li>Compare what the models write in <b>Samples</b>, and past runs in <b>Runs</b> (Δ against the "
           "scratch twin, the share of the teacher–scratch gap recovered).</li></ol>"
           "<p>Every experiment is a YAML file (the YAML tab); File → Save keeps your comments and "
           "layout.</p>"));
  });
  help->addAction(tr("&Keyboard shortcuts"), this, [this] {
    QMessageBox::information(this, tr("Keyboard shortcuts"),
                             tr("<table><tr><td>Start</td><td>Ctrl+R</td></tr>"
                                "<tr><td>Pause / Resume</td><td>Ctrl+P</td></tr>"
                                "<tr><td>Stop</td><td>Ctrl+.</td></tr>"
                                "<tr><td>Open experiment</td><td>Ctrl+O</td></tr>"
                                "<tr><td>Save experiment</td><td>Ctrl+S</td></tr>"
                                "<tr><td>New experiment</td><td>Ctrl+N</td></tr>"
                                "<tr><td>Quit</td><td>Ctrl+Q</td></tr></table>"
                                "<p>The mouse wheel changes a field only after you click into it; "
                                "elsewhere it scrolls.</p>"));
  });
  help->addAction(tr("&Where runs are written"), this, [this] {
    QMessageBox::information(
        this, tr("Where runs are written"),
        tr("<p>Every run gets its own folder under<br><code>%1</code></p>"
           "<p>It holds <code>config.yaml</code> (the settings, live changes included), "
           "<code>metrics.jsonl</code>, <code>samples.jsonl</code>, <code>summary.json</code>, "
           "<code>methods.csv</code> and a checkpoint per trained model. The Runs tab lists them; "
           "<code>distill</code> on the command line reads the same folders.</p>")
            .arg(QDir(m_runsRoot).absolutePath().toHtmlEscaped()));
  });
  help->addSeparator();
  help->addAction(tr("&About"), this, [this] {
    QMessageBox::about(this, tr("About Distillation Workbench"),
                       tr("<p><b>Distillation Workbench</b> %1</p>"
                          "<p>Knowledge distillation of language models: a teacher, its students, "
                          "and their scratch twins, side by side.</p>"
                          "<p>Qt %2 (built with %3)<br>LibTorch %4</p>")
                           .arg(QString::fromStdString(projectVersion()), QString::fromLatin1(qVersion()),
                                QStringLiteral(QT_VERSION_STR), QString::fromStdString(libtorchVersion())));
  });
}

void MainWindow::updateActions() {
  const bool running = m_controller->isRunning();
  const QString yamlProblem = m_yaml->problemWithLocation();
  const bool valid = m_form->problems().isEmpty() && yamlProblem.isEmpty();
  m_start->setEnabled(!running && valid && !m_sweep->controller()->isRunning());
  if (!yamlProblem.isEmpty())
    m_start->setToolTip(tr("Start is refused until the YAML is fixed — %1").arg(yamlProblem));
  else if (!valid)
    m_start->setToolTip(
        tr("Fix the problems shown in the form first: %1").arg(m_form->problems().join("; ")));
  else
    m_start->setToolTip(
        tr("Train the teacher, then every student distilled and from scratch in lockstep (Ctrl+R)"));
  m_runLength->setEnabled(!running);
  m_pause->setEnabled(running);
  m_stop->setEnabled(running);
  const bool paused = m_controller->isPaused();
  m_pause->setText(paused ? tr("Resume") : tr("Pause"));
  m_pause->setIcon(style()->standardIcon(paused ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
  if (running && paused) {
    m_phase->setText(tr("Paused"));
  } else if (running && m_phase->text() == tr("Paused")) {
    m_phase->setText(m_lastPhase);
  }
}

void MainWindow::onYamlProblemChanged() {
  m_form->setYamlProblem(m_yaml->problemWithLocation());
  updateActions();
}

ExperimentConfig MainWindow::configToRun() const {
  ExperimentConfig config = m_form->config();
  const int steps = m_runLength->currentData().toInt();
  if (steps > 0) {
    config.train.steps = steps;
    config.train.student_steps = steps;
    // A short run still draws a few points per curve.
    config.train.eval_interval = std::min(config.train.eval_interval, std::max(1, steps / 4));
    config.train.log_interval = std::min(config.train.log_interval, std::max(1, steps / 20));
  }
  return config;
}

void MainWindow::setRunning(bool running) {
  m_form->setRunning(running);
  m_yaml->setRunning(running);
}

void MainWindow::setModified(bool modified) {
  m_modified = modified;
  const QString name = m_path.isEmpty() ? tr("untitled.yaml") : QFileInfo(m_path).fileName();
  setWindowTitle(QString("%1%2 — Distillation Workbench").arg(name, modified ? "*" : ""));
}

void MainWindow::onFormChanged() {
  const auto config = m_form->config();
  m_yaml->followForm(config);
  setModified(true);
  if (m_controller->isRunning()) {
    LiveSettings live;
    if (config.train.lr != m_runningConfig.train.lr) live.lr = config.train.lr;
    if (config.distill.temperature != m_runningConfig.distill.temperature)
      live.temperature = config.distill.temperature;
    if (config.distill.alpha != m_runningConfig.distill.alpha) live.alpha = config.distill.alpha;
    if (config.train.eval_interval != m_runningConfig.train.eval_interval)
      live.evalInterval = config.train.eval_interval;
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
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) {
    showBanner(tr("Cannot open %1: %2").arg(path, file.errorString()), true);
    return false;
  }
  const QString text = QString::fromUtf8(file.readAll());
  const auto loaded = loadExperimentFile(path.toStdString());
  if (!loaded.ok()) {
    // The experiment on screen (and its title) stays; the banner says where the file is wrong.
    QStringList where;
    for (const auto& problem : loaded.problems)
      where << QString::fromStdString(problem.toString(path.toStdString()));
    showBanner(tr("Not opened — %1 has problems; the experiment shown is unchanged:\n%2")
                   .arg(QFileInfo(path).fileName(), where.join("\n")),
               true);
    return false;
  }
  m_path = QFileInfo(path).absoluteFilePath();
  m_rewriteConfirmedFor.clear();
  m_yaml->setSourceDir(QFileInfo(path).absolutePath());
  m_form->setConfig(loaded.config);
  m_yaml->showAuthorText(text, loaded.config);
  // An experiment with a sweep: section fills the Sweep tab (as far as it parses).
  const auto sweep = loadSweepFile(path.toStdString());
  if (sweep.hasSweep) m_sweep->setDefinition(sweep.sweep);
  const auto& g = loaded.config.generate;
  m_samples->setDefaults(g.prompts.empty() ? QString() : QString::fromStdString(g.prompts.front()),
                         SamplingOptions{g.max_new_tokens, g.temperature, g.top_k, g.top_p,
                                         static_cast<uint64_t>(g.seed), false});
  m_banner->hide();
  addRecent(m_path);
  setModified(false);
  updateActions();
  return true;
}

bool MainWindow::saveExperiment(const QString& path) {
  const QString absolute = QFileInfo(path).absoluteFilePath();
  if (absolute == m_path && m_yaml->authorTextLost() && m_rewriteConfirmedFor != absolute && isVisible() &&
      QFileInfo::exists(absolute)) {
    // Asked once per file: a change the text had no place for means writing every key out.
    const auto answer = QMessageBox::question(
        this, tr("Rewrite %1?").arg(QFileInfo(path).fileName()),
        tr("One of your changes has no place in the file as written (a key it never named, or a student "
           "added or removed), so saving writes the whole experiment out: comments are dropped and every "
           "default is spelled out. Save anyway?"),
        QMessageBox::Save | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Save) return false;
    m_rewriteConfirmedFor = absolute;
  }
  // The Sweep tab's keys travel in the file's sweep: section (kept as written when unchanged).
  QString text = m_yaml->text();
  const SweepDefinition sweep = m_sweep->editor()->definition();
  if (!sweep.parameters.empty())
    text = QString::fromStdString(
        withSweepSection(text.toStdString(), QFileInfo(absolute).absolutePath().toStdString(), sweep));
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text) ||
      file.write(text.toUtf8()) < 0) {
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
    m_recentMenu->addAction(QFileInfo(path).fileName() + "  —  " + QFileInfo(path).path(), this,
                            [this, path] {
                              if (maybeSave()) openExperiment(path);
                            });
  m_recentMenu->setEnabled(!recent.isEmpty());
}

bool MainWindow::maybeSave() {
  if (!m_modified || !isVisible()) return true;
  const auto answer =
      QMessageBox::question(this, tr("Unsaved changes"), tr("Save the changes to the experiment first?"),
                            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
  if (answer == QMessageBox::Cancel) return false;
  if (answer == QMessageBox::Save && !m_path.isEmpty()) return saveExperiment(m_path);
  return true;
}

void MainWindow::start() {
  if (!m_start->isEnabled()) return;
  m_runningConfig = configToRun();
  QString whyNot;
  // The file is what runs only while the form holds what it says (run.json hashes it).
  if (!m_controller->start(m_runningConfig, m_runsRoot, &whyNot, m_modified ? QString() : m_path)) {
    showBanner(whyNot, true);
    return;
  }
  m_banner->hide();
  m_charts->clearRun(QString());
  m_samples->setTrainingSamples({});
  setRunning(true);
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
  setRunning(false);
  updateActions();
  const QString dir = QString::fromStdString(result.runDir);
  switch (result.status) {
    case RunResult::Status::Completed:
      m_phase->setText(tr("Completed"));
      showWhereTheRunEnded(tr("done"));
      m_progress->setRange(0, 1);
      m_progress->setValue(1);
      m_progress->setFormat(tr("done"));
      break;
    case RunResult::Status::Cancelled:
      m_phase->setText(tr("Stopped"));
      showWhereTheRunEnded(tr("stopped"));
      break;
    case RunResult::Status::Failed:
      m_phase->setText(tr("Failed"));
      showWhereTheRunEnded(tr("failed"));
      showBanner(tr("The run failed: %1").arg(QString::fromStdString(result.error)), true);
      break;
  }
  if (!dir.isEmpty()) {
    m_samples->setRunDirectory(dir);
    m_chartsRun = dir;
    showOnScreen();
    int trainedStudents = 0;
    bool teacherTrained = false;
    for (const auto& m : result.models) {
      if (m.role == ModelRole::Teacher)
        teacherTrained = m.trained;
      else if (m.trained)
        ++trainedStudents;
    }
    const QString how = result.status == RunResult::Status::Completed ? tr("completed") : tr("stopped");
    if (result.status == RunResult::Status::Failed) {
      // The failure banner says it.
    } else if (trainedStudents > 0) {
      showBanner(
          tr("Run %1 in %2. Compare the models' samples in the Samples tab, and the students with their "
             "scratch twins in the Runs tab.")
              .arg(how, dir),
          false);
    } else if (teacherTrained) {
      showBanner(tr("Run stopped during the teacher phase in %1: the students were not trained, so there is "
                    "nothing to compare yet. Runs → Resume continues it.")
                     .arg(dir),
                 false);
    } else {
      showBanner(tr("Run stopped in %1 before any model was trained.").arg(dir), false);
    }
  }
  m_runs->refresh();
  if (!dir.isEmpty()) m_runs->selectRun(dir);  // the run just ended, with its provenance below
}

void MainWindow::openRun(const QString& dir) {
  // An opened run replaces what the charts show; while a run is live it stays and the opened one
  // is overlaid under its folder name instead.
  m_charts->clearOverlays();
  if (m_controller->isRunning()) {
    overlayRun(dir);
  } else {
    m_charts->clearRun(QString());
    m_charts->addPoints(QString(), readMetrics(dir.toStdString()));
    m_chartsRun = dir;
  }
  m_samples->setRunDirectory(dir);
  m_samples->setTrainingSamples(readSamples(dir.toStdString()));
  m_runs->selectRun(dir);  // its provenance shows under the runs table
  m_banner->hide();        // it spoke of another run
  showOnScreen();
  m_viewTabs->setCurrentWidget(m_charts);
}

void MainWindow::resumeRun(const QString& dir) {
  if (m_controller->isRunning()) {
    showBanner(tr("A run is already going. Stop it before resuming another."), true);
    return;
  }
  const auto point = findResumePoint(dir.toStdString());
  if (!point) {
    showBanner(tr("%1 has no resumable checkpoint (it completed, or stopped before its first one).").arg(dir),
               true);
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
  m_charts->clearOverlays();
  m_charts->clearRun(QString());
  m_charts->addPoints(QString(), readMetrics(dir.toStdString(), point->metricsBytes));
  m_samples->setTrainingSamples(readSamples(dir.toStdString(), point->samplesBytes));
  setRunning(true);
  m_chartsRun = dir;
  showOnScreen();
  m_viewTabs->setCurrentWidget(m_charts);
  const QString repeat = point->repeat > 1 ? tr(" (repeat %1)").arg(point->repeat) : QString();
  statusBar()->showMessage(tr("Resuming %1 from %2 step %3 of %4%5")
                               .arg(QDir(dir).dirName(), QString::fromStdString(point->phase))
                               .arg(point->step)
                               .arg(point->totalSteps)
                               .arg(repeat),
                           8000);
  updateActions();
}

void MainWindow::overlayRun(const QString& dir) {
  const QString label = QDir(dir).dirName();
  m_charts->clearRun(label);
  m_charts->addPoints(label, readMetrics(dir.toStdString()));
  showOnScreen();
  m_viewTabs->setCurrentWidget(m_charts);
}

QString MainWindow::bannerText() const { return m_banner->isHidden() ? QString() : m_banner->text(); }
QString MainWindow::onScreenText() const { return m_onScreen->fullText(); }
void MainWindow::showWhereTheRunEnded(const QString& how) {
  // The last training step, not whatever short phase came after it (final evaluation, samples),
  // and no ETA: nothing is left to wait for.
  const ProgressInfo& p = m_lastProgress;
  if (p.totalSteps <= 0) {
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setFormat(how);
    m_throughput->clear();
    return;
  }
  m_progress->setRange(0, p.totalSteps);
  m_progress->setValue(p.step);
  m_progress->setFormat(tr("%1 at %2 step %3 / %4")
                            .arg(how, QString::fromUtf8(phaseName(p.phase)))
                            .arg(p.step)
                            .arg(p.totalSteps));
  m_throughput->setText(tr("last: %1 step %2/%3 · %4 tok/s · %5 in this phase")
                            .arg(QString::fromUtf8(phaseName(p.phase)))
                            .arg(p.step)
                            .arg(p.totalSteps)
                            .arg(p.tokensPerSecond, 0, 'f', 0)
                            .arg(formatSeconds(p.phaseSeconds)));
}

QString MainWindow::phaseText() const { return m_phase->text(); }
QString MainWindow::progressText() const { return m_progress->text(); }
QString MainWindow::throughputText() const { return m_throughput->text(); }

void MainWindow::showOnScreen() {
  QStringList overlays;
  for (const auto& key : m_charts->store().keys())
    if (!key.run.isEmpty() && !overlays.contains(key.run)) overlays << key.run;
  QString text = m_chartsRun.isEmpty() ? tr("Charts: no run yet") : tr("Charts: %1").arg(m_chartsRun);
  if (!overlays.isEmpty()) text += tr("  ·  overlaid: %1").arg(overlays.join(", "));
  const QString source = m_samples->runDirectory();
  text += source.isEmpty()        ? tr("  ·  Generate: no run yet")
          : source == m_chartsRun ? tr("  ·  Generate samples from this run")
                                  : tr("  ·  Generate samples from %1").arg(source);
  m_onScreen->setFullText(text);
}

void MainWindow::showBanner(const QString& text, bool error) {
  m_banner->setText(text);
  m_banner->setStyleSheet(
      error ? "QLabel { background: #fdecea; color: #8a1c1c; padding: 8px; border: 1px solid #e0a0a0; }"
            : "QLabel { background: #e8f5e9; color: #1b5e20; padding: 8px; border: 1px solid #a5d6a7; }");
  m_banner->show();
}

void MainWindow::closeEvent(QCloseEvent* event) {
  const bool sweeping = m_sweep->controller()->isRunning();
  if ((m_controller->isRunning() || sweeping) && isVisible()) {
    QMessageBox question(QMessageBox::Question, sweeping ? tr("A sweep is going") : tr("A run is going"),
                         sweeping
                             ? tr("Closing stops every trial after its current step and writes its "
                                  "checkpoints (Sweep → Open sweep…, then Resume sweep, continues it).")
                             : tr("Closing stops the run after its current step and writes its checkpoints "
                                  "(Runs → Resume continues it later)."),
                         QMessageBox::NoButton, this);
    question.setObjectName("closeQuestion");
    auto* stopAndClose = question.addButton(tr("Stop and close"), QMessageBox::DestructiveRole);
    question.addButton(tr("Keep running"), QMessageBox::RejectRole);
    question.setDefaultButton(qobject_cast<QPushButton*>(question.buttons().last()));
    question.exec();
    if (question.clickedButton() != stopAndClose) {
      event->ignore();
      return;
    }
  }
  if (m_controller->isRunning()) {
    // Stop the worker cleanly: it finishes the current step, writes its checkpoints and joins.
    m_phase->setText(tr("Stopping the run and saving checkpoints…"));
    m_controller->shutdown();
  }
  m_sweep->controller()->shutdown();
  event->accept();
}

}  // namespace distill
