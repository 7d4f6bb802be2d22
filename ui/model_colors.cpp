#include "model_colors.h"

#include "distill/generation.h"

namespace distill {

QString studentBaseName(const QString& model) {
  if (model.endsWith("-kd")) return model.chopped(3);
  if (model.endsWith("-scratch")) return model.chopped(8);
  return model;
}

QColor ModelPalette::color(const QString& model) {
  if (isTeacherName(model.toStdString())) {
    // An ensemble's members each in their own dark tone, in order of first use.
    auto it = m_teacherIndex.find(model);
    if (it == m_teacherIndex.end())
      it = m_teacherIndex.insert(model, static_cast<int>(m_teacherIndex.size()));
    return QColor(teacherColor(static_cast<size_t>(it.value())));
  }
  static const QColor kPalette[] = {QColor(31, 119, 180),  QColor(214, 39, 40),   QColor(44, 160, 44),
                                    QColor(148, 103, 189), QColor(255, 127, 14),  QColor(23, 190, 207),
                                    QColor(227, 119, 194), QColor(140, 86, 75),   QColor(188, 189, 34),
                                    QColor(0, 92, 92),     QColor(127, 127, 127), QColor(205, 150, 0)};
  const QString base = studentBaseName(model);
  auto it = m_studentIndex.find(base);
  if (it == m_studentIndex.end()) it = m_studentIndex.insert(base, static_cast<int>(m_studentIndex.size()));
  const int count = static_cast<int>(sizeof kPalette / sizeof kPalette[0]);
  // Past the palette (a methods comparison can have a dozen students) hues repeat darker.
  QColor hue = kPalette[it.value() % count];
  for (int round = it.value() / count; round > 0; --round) hue = hue.darker(160);
  return model.endsWith("-scratch") ? hue.lighter(140) : hue;
}

QPen ModelPalette::pen(const QString& model) {
  QPen pen(color(model), isTeacherName(model.toStdString()) ? 2.2 : 1.6);
  if (model.endsWith("-scratch")) pen.setStyle(Qt::DashLine);
  return pen;
}

}  // namespace distill
