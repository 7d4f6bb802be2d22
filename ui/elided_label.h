#pragma once

#include <QLabel>

namespace distill {

/// A one-line label for long paths: what does not fit is elided in the middle (the folder's start
/// and the run's name stay readable) and the whole text is the tooltip.
class ElidedLabel : public QLabel {
  Q_OBJECT
public:
  explicit ElidedLabel(QWidget* parent = nullptr);

  void setFullText(const QString& text);
  QString fullText() const { return m_full; }

  QSize minimumSizeHint() const override;

protected:
  void resizeEvent(QResizeEvent* event) override;

private:
  void elide();

  QString m_full;
};

}  // namespace distill
