#pragma once

#include <QWidget>

class QLabel;
class QPushButton;
class QTreeWidget;

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
  enum Column { kName, kRole, kArch, kParams, kValLoss, kAgreement, kDelta, kGapRecovered, kSize, kColumnCount };
  QTreeWidget* tree() const { return m_tree; }

public slots:
  void refresh();

signals:
  void openRequested(const QString& dir);
  void overlayRequested(const QString& dir);
  /// Resume was pressed for a run that did not complete.
  void resumeRequested(const QString& dir);

private:
  QString m_root;
  ElidedLabel* m_rootLabel;
  QTreeWidget* m_tree;
  QPushButton* m_resume;
};

}  // namespace distill
