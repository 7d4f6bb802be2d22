#pragma once

#include <QDialog>

#include "distill/config_diff.h"

class QTableWidget;

namespace distill {

/// Two or more runs side by side: only the experiment keys whose values differ (from each run's
/// resolved config.yaml), one column per run, and each run's validation loss per model below.
class CompareRunsDialog : public QDialog {
  Q_OBJECT
public:
  /// `configs`: each run's config.yaml text, in the order of `runDirs`.
  CompareRunsDialog(const QStringList& runDirs, const std::vector<std::string>& configs,
                    QWidget* parent = nullptr);
  QTableWidget* table() const { return m_table; }

private:
  QTableWidget* m_table;
};

}  // namespace distill
