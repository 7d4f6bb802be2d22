#pragma once

#include <QMainWindow>

#include "distill/config.h"
#include "distill/experiment.h"
#include "distill/observer.h"
#include "model_colors.h"

class QAction;
class QComboBox;
class QLabel;
class QMenu;
class QProgressBar;
class QTabWidget;

namespace distill {

class ElidedLabel;
class ExperimentForm;
class RunController;
class RunsPanel;
class SamplePanel;
class SweepTab;
class TrainingCharts;
class YamlPane;

/// The workbench: experiment form and YAML on the left; live charts, sample comparison and runs
/// on the right; Start / Pause / Resume / Stop driving a RunController.
class MainWindow : public QMainWindow {
  Q_OBJECT
public:
  /// `runsRoot`: where runs are written and listed.
  explicit MainWindow(const QString& runsRoot, QWidget* parent = nullptr);
  ~MainWindow() override;

  bool openExperiment(const QString& path);
  bool saveExperiment(const QString& path);
  /// Shows `config` in the form and the YAML pane (an unsaved experiment).
  void setExperiment(const ExperimentConfig& config);

  ExperimentForm* form() const { return m_form; }
  YamlPane* yamlPane() const { return m_yaml; }
  TrainingCharts* charts() const { return m_charts; }
  SamplePanel* samplePanel() const { return m_samples; }
  RunsPanel* runsPanel() const { return m_runs; }
  SweepTab* sweepTab() const { return m_sweep; }
  RunController* controller() const { return m_controller; }
  QTabWidget* viewTabs() const { return m_viewTabs; }
  QTabWidget* setupTabs() const { return m_setupTabs; }
  QAction* startAction() const { return m_start; }
  QAction* pauseAction() const { return m_pause; }
  QAction* stopAction() const { return m_stop; }
  /// Steps presets next to Start: the experiment's own steps, or a quick try.
  QComboBox* runLengthChoice() const { return m_runLength; }
  QString bannerText() const;
  /// Which run the charts show and which one Generate samples from.
  QString onScreenText() const;
  QString phaseText() const;
  QString progressText() const;
  QString throughputText() const;

public slots:
  void start();
  void togglePause();
  void stop();
  void openRun(const QString& dir);
  void overlayRun(const QString& dir);
  /// Continues a stopped or crashed run: its curves up to the checkpoint, then live.
  void resumeRun(const QString& dir);
  /// Sweep trials (or any runs) side by side: their curves overlaid, the first one's samples.
  void showTrials(const QStringList& dirs);

protected:
  void closeEvent(QCloseEvent* event) override;

private:
  /// Progress bar and status line once a run has ended: where it stopped, no ETA.
  void showWhereTheRunEnded(const QString& how);
  void buildActions();
  void buildExportMenu(QMenu* file);  ///< the report; the charts as PNG, PDF or CSV
  /// File → Export → Report: the HTML report of the run the charts show, written off the GUI thread.
  void exportReport();
  void buildRunMenu();  ///< Start, Pause, Stop and the run length
  /// The window's widgets: setup tabs left, views right, the status bar.
  void buildLayout();
  /// The form and the YAML tab edit the same experiment.
  void connectEditors();
  /// A run's reports reach the status bar, charts, samples and runs panel.
  void connectRun();
  /// The Sweep tab: fields swept from the form, trials shown in the charts and samples.
  void connectSweep();
  void buildHelpMenu();
  void showOnScreen();
  void onYamlProblemChanged();
  /// The experiment Start runs: the form's, with the steps preset applied.
  ExperimentConfig configToRun() const;
  void updateActions();
  void setModified(bool modified);
  void onFormChanged();
  void onFinished(const RunResult& result);
  void showBanner(const QString& text, bool error);
  void setRunning(bool running);
  void addRecent(const QString& path);
  void rebuildRecentMenu();
  bool maybeSave();

  ModelPalette m_palette;
  QString m_runsRoot;
  QString m_path;
  bool m_modified = false;
  ExperimentForm* m_form;
  YamlPane* m_yaml;
  TrainingCharts* m_charts;
  SamplePanel* m_samples;
  RunsPanel* m_runs;
  SweepTab* m_sweep;
  RunController* m_controller;
  QTabWidget* m_viewTabs;
  QTabWidget* m_setupTabs;
  QLabel* m_banner;
  QAction* m_start = nullptr;
  QAction* m_pause = nullptr;
  QAction* m_stop = nullptr;
  QMenu* m_recentMenu = nullptr;
  QComboBox* m_runLength = nullptr;
  ElidedLabel* m_onScreen;
  QString m_chartsRun;            // the run folder the charts show (empty: none yet)
  QString m_rewriteConfirmedFor;  // the file the user agreed may be written out in full
  QLabel* m_phase;
  QProgressBar* m_progress;
  QLabel* m_throughput;
  ExperimentConfig m_runningConfig;  // what the run started with, to send only live changes
  QString m_lastPhase;               // the phase label to show again on Resume
  ProgressInfo m_lastProgress;       // the last training step reported: where a run ended
};

}  // namespace distill
