#pragma once

#include <QWidget>

#include <vector>

#include "distill/run_reader.h"

class QLabel;
class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace distill {

class ElidedLabel;

/// Lists the run directories under a folder with their summaries (val loss and size per model,
/// status, date). Open shows a run's curves and samples; Overlay adds its curves to the charts.
class RunsPanel : public QWidget {
  Q_OBJECT
public:
  explicit RunsPanel(QWidget* parent = nullptr);

  void setRoot(const QString& root);
  QString root() const { return m_root; }
  int runCount() const;
  QStringList selectedRuns() const;
  /// Columns of the runs table (runs on top, their models below).
  enum Column {
    kName,
    kRole,
    kArch,
    kParams,
    kValLoss,
    kAgreement,
    kDelta,
    kGapRecovered,
    kSize,
    kColumnCount
  };
  QTreeWidget* tree() const { return m_tree; }

  /// Whether the run folders are being read (on a background thread).
  bool isLoading() const { return m_loading; }

public slots:
  /// Reads the run folders on a background thread and fills the table when done.
  void refresh();

signals:
  void openRequested(const QString& dir);
  void overlayRequested(const QString& dir);
  /// Resume was pressed for a run that did not complete.
  void resumeRequested(const QString& dir);
  /// The table was filled from a fresh read of the folder.
  void refreshed();

private:
  void fillNextChunk(int generation);
  QTreeWidgetItem* makeRunItem(const RunRecord& run) const;

  QString m_root;
  bool m_loading = false;
  int m_generation = 0;              // a newer refresh supersedes an older one still reading
  std::vector<RunRecord> m_pending;  // read, not yet in the table
  size_t m_filled = 0;
  ElidedLabel* m_rootLabel;
  QTreeWidget* m_tree;
  QPushButton* m_resume;
};

}  // namespace distill
