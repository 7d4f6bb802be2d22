#pragma once

#include <QHash>
#include <QWidget>

#include <vector>

#include "distill/run_reader.h"

class QLabel;
class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace distill {

class CompareRunsDialog;
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
    kBitsPerChar,
    kAgreement,
    kDelta,
    kGapRecovered,
    kTags,
    kSize,
    kColumnCount
  };
  QTreeWidget* tree() const { return m_tree; }

  /// Whether the run folders are being read (on a background thread).
  bool isLoading() const { return m_loading; }

  /// Writes a run's tags and note (notes.json) and shows them; false (with the reason in the
  /// status line) when the folder cannot be written.
  bool setNotes(const QString& dir, const RunNotes& notes);
  /// The comparison dialog Compare opened last (null before).
  CompareRunsDialog* comparison() const { return m_comparison; }

public slots:
  /// Reads the run folders on a background thread and fills the table when done.
  void refresh();
  /// The selected runs' differing experiment keys, in a dialog (their config.yaml read in the background).
  void compareSelected();
  /// Selects the run in folder `dir` (its provenance shows below), once the table holds it.
  void selectRun(const QString& dir);
  /// Opens the tags-and-note editor of the selected run.
  void editSelectedNotes();

signals:
  void openRequested(const QString& dir);
  void overlayRequested(const QString& dir);
  /// Resume was pressed for a run that did not complete.
  void resumeRequested(const QString& dir);
  /// The table was filled from a fresh read of the folder.
  void refreshed();

private:
  void buildTree();
  void buildDetails();
  void fillNextChunk(int generation);
  QTreeWidgetItem* makeRunItem(const RunRecord& run) const;
  /// The details pane: the provenance of run `dir` (empty: none selected).
  void showDetails(const QString& dir);

  QString m_root;
  bool m_loading = false;
  int m_generation = 0;              // a newer refresh supersedes an older one still reading
  std::vector<RunRecord> m_pending;  // read, not yet in the table
  size_t m_filled = 0;
  ElidedLabel* m_rootLabel;
  QTreeWidget* m_tree;
  QTreeWidget* m_details;
  QHash<QString, std::vector<ProvenanceField>> m_provenance;  // by run folder, as read
  QString m_selectWhenLoaded;                                 // selectRun() while loading
  QPushButton* m_resume;
  QPushButton* m_compare;
  QPushButton* m_notes;
  CompareRunsDialog* m_comparison = nullptr;
};

}  // namespace distill
