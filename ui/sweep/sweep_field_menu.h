#pragma once

// "Sweep…" on a form field: its context menu offers to add the field's experiment key to the sweep.

#include <QString>
#include <functional>

class QWidget;

namespace distill {

/// The field's value as a sweep value ("0.5", "64", "kl"); empty for fields that hold no number or choice.
QString sweepValueOf(const QWidget* field);

/// Gives `field` a context menu with "Sweep <key>…", which calls request(key, value). `key` is
/// asked when the menu opens (a student's index may change). Only number and choice fields are offered.
void offerSweep(QWidget* field, std::function<QString()> key,
                std::function<void(const QString&, const QString&)> request);

}  // namespace distill
