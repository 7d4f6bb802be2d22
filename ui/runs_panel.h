#pragma once

#include <QWidget>

class QLabel;
class QPushButton;
class QTreeWidget;

namespace distill {

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

public slots:
  void refresh();

signals:
  void openRequested(const QString& dir);
  void overlayRequested(const QString& dir);
  /// Resume was pressed for a run that did not complete.
  void resumeRequested(const QString& dir);

private:
  QString m_root;
  QLabel* m_rootLabel;
  QTreeWidget* m_tree;
  QPushButton* m_resume;
};

}  // namespace distill
