#include "distill_method_editor.h"

#include <QComboBox>
#include <QFormLayout>

#include "form_widgets.h"

namespace distill {

DistillMethodEditor::DistillMethodEditor(const QString& keyPrefix, QFormLayout* rows, QWidget* parent)
    : QWidget(parent) {
  QFormLayout* form = rows;
  if (!form) {
    form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
  }
  QWidget* owner = rows && rows->parentWidget() ? rows->parentWidget() : this;
  m_regime = new QComboBox(owner);
  fillChoices<Regime>(m_regime);
  m_regime->setToolTip(
      tr("Where the student's training sequences come from:\n"
         "word: corpus windows with the teacher's distributions (Hinton)\n"
         "sequence: continuations the teacher writes once from corpus prefixes (Kim & Rush);\n"
         "  cross-entropy on them, plus word-level KD when alpha > 0\n"
         "on_policy: a fraction of steps on the student's own continuations, scored by the teacher (GKD)"));
  m_prefixTokens = makeIntBox("distill.prefix_tokens", owner);
  m_sampleTemperature = makeDoubleBox("distill.sample_temperature", 2, 0.1, owner);
  m_sequenceCount = makeIntBox("distill.sequence_count", owner);
  m_onPolicyFraction = makeDoubleBox("distill.on_policy_fraction", 2, 0.05, owner);
  m_hiddenLoss = new QComboBox(owner);
  fillChoices<HiddenLoss>(m_hiddenLoss);
  m_hiddenLoss->setToolTip(
      tr("Transformer students: each layer's hidden states, through a learned projection to the "
         "teacher's width, against the paired teacher layer (uniform pairing unless layer_map is set)"));
  m_hiddenWeight = makeDoubleBox("distill.hidden_weight", 2, 0.1, owner);
  m_attentionWeight = makeDoubleBox("distill.attention_weight", 2, 0.1, owner);
  form->addRow(tr("Regime"), m_regime);
  form->addRow(tr("Prefix tokens"), m_prefixTokens);
  form->addRow(tr("Sample temperature"), m_sampleTemperature);
  form->addRow(tr("Teacher sequences"), m_sequenceCount);
  form->addRow(tr("On-policy fraction"), m_onPolicyFraction);
  form->addRow(tr("Hidden-state loss"), m_hiddenLoss);
  form->addRow(tr("Hidden weight"), m_hiddenWeight);
  form->addRow(tr("Attention weight"), m_attentionWeight);

  const QList<QPair<QString, QWidget*>> named = {{"regime", m_regime},
                                                 {"prefix_tokens", m_prefixTokens},
                                                 {"sample_temperature", m_sampleTemperature},
                                                 {"sequence_count", m_sequenceCount},
                                                 {"on_policy_fraction", m_onPolicyFraction},
                                                 {"hidden_loss", m_hiddenLoss},
                                                 {"hidden_weight", m_hiddenWeight},
                                                 {"attention_weight", m_attentionWeight}};
  for (const auto& [key, widget] : named) widget->setObjectName(keyPrefix + "." + key);

  auto edited = [this] {
    updateEnabled();
    if (!m_loading) emit changed();
  };
  for (auto* combo : {m_regime, m_hiddenLoss}) connect(combo, &QComboBox::currentTextChanged, this, edited);
  for (auto* box : {m_prefixTokens, m_sequenceCount}) connect(box, &QSpinBox::valueChanged, this, edited);
  for (auto* box : {m_sampleTemperature, m_onPolicyFraction, m_hiddenWeight, m_attentionWeight})
    connect(box, &QDoubleSpinBox::valueChanged, this, edited);
  setSettings(DistillConfig{});
}

void DistillMethodEditor::setSettings(const DistillConfig& d) {
  m_loading = true;
  showChoice(m_regime, d.regime);
  m_prefixTokens->setValue(d.prefix_tokens);
  m_sampleTemperature->setValue(d.sample_temperature);
  m_sequenceCount->setValue(d.sequence_count);
  m_onPolicyFraction->setValue(d.on_policy_fraction);
  showChoice(m_hiddenLoss, d.hidden_loss);
  m_hiddenWeight->setValue(d.hidden_weight);
  m_attentionWeight->setValue(d.attention_weight);
  m_loading = false;
  updateEnabled();
}

void DistillMethodEditor::applyTo(DistillConfig& d) const {
  d.regime = choiceOf<Regime>(m_regime);
  d.prefix_tokens = m_prefixTokens->value();
  d.sample_temperature = m_sampleTemperature->value();
  d.sequence_count = m_sequenceCount->value();
  d.on_policy_fraction = m_onPolicyFraction->value();
  d.hidden_loss = choiceOf<HiddenLoss>(m_hiddenLoss);
  d.hidden_weight = m_hiddenWeight->value();
  d.attention_weight = m_attentionWeight->value();
}

void DistillMethodEditor::updateEnabled() {
  // Fields that do nothing for the chosen regime or loss are greyed out, not hidden.
  const Regime regime = choiceOf<Regime>(m_regime);
  const bool generates = regime != Regime::Word;
  m_prefixTokens->setEnabled(generates);
  m_sampleTemperature->setEnabled(generates);
  m_sequenceCount->setEnabled(regime == Regime::Sequence);
  m_onPolicyFraction->setEnabled(regime == Regime::OnPolicy);
  m_hiddenWeight->setEnabled(choiceOf<HiddenLoss>(m_hiddenLoss) != HiddenLoss::None);
}

}  // namespace distill
