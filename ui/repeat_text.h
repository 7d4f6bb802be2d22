#pragma once

// How tables show numbers over repeats (train.repeats) and a distilled student's verdict against
// its scratch twin: one place for the runs table and the sweep's trial table.

#include <QColor>
#include <QString>
#include <vector>

#include "distill/repeat_statistics.h"
#include "distill/twin_comparison.h"

namespace distill {

/// "2.1234 ± 0.0123" over two or more repeats (mean ± sample sd), "2.1234" otherwise, "—" when
/// not measured. `number` picks the repeats' field whose spread is shown.
QString meanText(double mean, const std::vector<RepeatOutcome>& repeats, double RepeatOutcome::*number,
                 int decimals);

/// The KD − scratch cell: "-0.0048 (distillation wins)" for one run; over repeats
/// "-0.0048 [-0.0393, +0.0297] (no clear difference)", the 95 % interval of the paired differences.
QString twinDeltaText(const TwinPair& pair);
/// What the cell means, for its tooltip.
QString twinDeltaTooltip(const TwinPair& pair);
/// Green when distillation wins, red when it loses (or does not win one run), grey otherwise.
QColor twinTone(const TwinPair& pair);

}  // namespace distill
