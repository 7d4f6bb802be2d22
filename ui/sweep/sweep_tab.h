#pragma once

#include <QWidget>
#include <functional>
#include <set>

#include "distill/config.h"
#include "distill/sweep.h"

class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;

namespace distill {

class ObjectiveScatterPlot;
class ParallelCoordinatesPlot;
class SweepController;
class SweepDefinitionEditor;
class TrialTableModel;

/// The Sweep tab: a sweep of the experiment in the form (the keys to sweep, the search, the
/// objective), Start / Pause / Stop, the live trial table (sortable, filterable, the best trial
/// highlighted, a trial stopped or paused from its context menu), and the trials drawn as parallel
/// coordinates and as objective-versus-parameter scatters. Selecting trials shows their curves
/// and samples (trialsSelected).
class SweepTab : public QWidget {
  Q_OBJECT
public:
  SweepTab(const QString& runsRoot, QWidget* parent = nullptr);
  ~SweepTab() override;

  /// The experiment the sweep varies (the form's, with its folder for relative paths).
  void setExperiment(const ExperimentConfig& config);
  void setDefinition(const SweepDefinition& definition);
  SweepDefinitionEditor* editor() const { return m_editor; }
  /// Adds `key` (at its current value) to the swept keys and brings the tab forward.
  void sweepKey(const QString& key, const QString& currentValue);
  /// Shows a sweep folder's trials (read on a background thread).
  void showSweep(const QString& dir);
  /// The sweep the tab would start, parsed and checked.
  SweepFile sweepFile() const;
  QStringList problems() const { return m_problems; }
  /// Refuses Start while this says so (a single run is going).
  void setBusyCheck(std::function<QString()> whyBusy) { m_whyBusy = std::move(whyBusy); }

  SweepController* controller() const { return m_controller; }
  TrialTableModel* trialModel() const { return m_model; }
  QTableView* trialTable() const { return m_table; }
  QSortFilterProxyModel* trialProxy() const { return m_proxy; }
  ParallelCoordinatesPlot* parallelPlot() const { return m_parallel; }
  ObjectiveScatterPlot* scatterPlot() const { return m_scatter; }
  /// Parallel coordinates (0) or the objective-versus-parameter scatters (1).
  QTabWidget* plotTabs() const { return m_plotTabs; }
  QPushButton* startButton() const { return m_startButton; }
  QPushButton* resumeButton() const { return m_resumeButton; }
  QString statusText() const;
  /// Selects the row of trial `id` (its curves and samples come up).
  void selectTrial(int id);
  /// Best trials first (a finished sweep's table).
  void sortByObjective();

public slots:
  void start();
  /// Finishes the sweep folder on screen (Open sweep…) when it did not complete.
  void resumeShownSweep();
  void togglePause();
  void stop();

signals:
  void trialsSelected(const QStringList& runDirs);
  /// Metrics of a selected trial that is training: `label` names it in the charts.
  void selectedTrialMetrics(const QString& label, const std::vector<distill::MetricPoint>& points);
  void openRunRequested(const QString& dir);
  void runningChanged(bool running);
  void message(const QString& text);

private:
  QWidget* buildControls();
  QWidget* buildTrialTable();
  void connectController();
  void revalidate();
  void redrawPlots();
  void onSelectionChanged();
  void showTrialMenu(const QPoint& at);
  void updateButtons();
  /// True (and says why) when the window's busy check refuses a sweep now.
  bool refusedWhileBusy();
  std::vector<int> selectedTrialIds() const;

  QString m_runsRoot;
  ExperimentConfig m_experiment;
  SweepDefinitionEditor* m_editor;
  SweepController* m_controller;
  TrialTableModel* m_model;
  QSortFilterProxyModel* m_proxy;
  QTableView* m_table;
  QLineEdit* m_filter;
  ParallelCoordinatesPlot* m_parallel;
  ObjectiveScatterPlot* m_scatter;
  QTabWidget* m_plotTabs;
  QPushButton* m_startButton;
  QPushButton* m_pauseButton;
  QPushButton* m_stopButton;
  QPushButton* m_resumeButton;
  QString m_shownDir;        // the sweep folder Open sweep… showed
  bool m_shownDone = false;  // it completed
  QLabel* m_status;
  QLabel* m_problemLabel;
  QStringList m_problems;
  std::function<QString()> m_whyBusy;
  bool m_plotsDirty = false;
};

}  // namespace distill
