#pragma once

// The distillation regime (word / sequence-level / on-policy) and the feature losses of a
// `distill` section. Keys it does not show (layer_map, sequence_path, sample_top_k) are kept.

#include <QWidget>

#include "distill/config.h"

class QComboBox;
class QFormLayout;
class QDoubleSpinBox;
class QSpinBox;

namespace distill {

class DistillMethodEditor : public QWidget {
  Q_OBJECT
public:
  /// Widgets get object names `<keyPrefix>.<key>` (e.g. "distill.regime"). With `rows` they are
  /// added to that form (its labels and fields then line up with the form's own rows) and this
  /// object only coordinates them; without, the editor lays them out itself.
  DistillMethodEditor(const QString& keyPrefix, QFormLayout* rows = nullptr, QWidget* parent = nullptr);

  void setSettings(const DistillConfig& settings);
  /// Writes the fields shown here into `settings`, leaving its other keys alone.
  void applyTo(DistillConfig& settings) const;

signals:
  void changed();

private:
  void updateEnabled();

  QComboBox* m_regime;
  QSpinBox* m_prefixTokens;
  QDoubleSpinBox* m_sampleTemperature;
  QSpinBox* m_sequenceCount;
  QDoubleSpinBox* m_onPolicyFraction;
  QComboBox* m_hiddenLoss;
  QDoubleSpinBox* m_hiddenWeight;
  QDoubleSpinBox* m_attentionWeight;
  bool m_loading = false;
};

}  // namespace distill
