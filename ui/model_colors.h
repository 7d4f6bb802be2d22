#pragma once

#include <QColor>
#include <QHash>
#include <QPen>
#include <QString>

namespace distill {

/// The fixed look of each model's curves: the teacher in near-black, every student its own hue
/// (in order of first appearance), distilled solid and its scratch twin a lighter dashed line of
/// the same hue. One palette is shared by every view of a window so colours agree everywhere.
class ModelPalette {
public:
  QColor color(const QString& model);
  QPen pen(const QString& model);

private:
  QHash<QString, int> m_studentIndex;
  QHash<QString, int> m_teacherIndex;  // ensemble members, in order of first use
};

/// "transformer" for "transformer-kd" / "transformer-scratch"; the name itself otherwise.
QString studentBaseName(const QString& model);

}  // namespace distill
