#include "repeat_text.h"

#include <QCoreApplication>
#include <cmath>

namespace distill {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("RepeatText", text); }

bool overRepeats(const TwinPair& pair) { return pair.paired.pairs >= 2; }

}  // namespace

QString meanText(double mean, const std::vector<RepeatOutcome>& repeats, double RepeatOutcome::*number,
                 int decimals) {
  if (!std::isfinite(mean)) return QString::fromUtf8("—");
  const QString text = QString::number(mean, 'f', decimals);
  if (repeats.size() < 2) return text;
  return text + QString::fromUtf8(" ± ") + QString::number(spreadOf(repeats, number).sd, 'f', decimals);
}

QString twinDeltaText(const TwinPair& pair) {
  const QString verdict = QString::fromStdString(twinVerdict(pair));
  if (overRepeats(pair)) {
    const auto& d = pair.paired;
    return QString("%1 [%2, %3] (%4)")
        .arg(d.mean, 0, 'f', 4)
        .arg(d.low, 0, 'f', 4)
        .arg(d.high, 0, 'f', 4)
        .arg(verdict);
  }
  if (pair.comparison.verdict == TwinComparison::Verdict::NotMeasured) return QString::fromUtf8("—");
  return QString("%1 (%2)").arg(pair.comparison.delta, 0, 'f', 4).arg(verdict);
}

QString twinDeltaTooltip(const TwinPair& pair) {
  if (overRepeats(pair))
    return tr("Distilled minus scratch validation loss, paired by seed over %1 repeats: the mean and its 95 "
              "% "
              "Student-t interval (t · sd / √n). \"Wins\" or \"loses\" only when the interval excludes 0.")
        .arg(pair.paired.pairs);
  return tr(
      "Distilled minus scratch validation loss of one run (one seed): it says nothing of the seed "
      "noise. Set train.repeats for a verdict with an interval.");
}

QColor twinTone(const TwinPair& pair) {
  const QColor win(27, 94, 32), lose(138, 28, 28), neutral(85, 85, 85);
  if (overRepeats(pair)) {
    if (pair.paired.verdict == PairedDifference::Verdict::Wins) return win;
    return pair.paired.verdict == PairedDifference::Verdict::Loses ? lose : neutral;
  }
  if (pair.comparison.verdict == TwinComparison::Verdict::DistillationWins) return win;
  return pair.comparison.verdict == TwinComparison::Verdict::ScratchWins ? lose : neutral;
}

}  // namespace distill
