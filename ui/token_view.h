#pragma once

#include <QTextBrowser>
#include <QVector>

#include "distill/generation.h"

namespace distill {

/// A generated text shown token by token, each shaded by how likely the teacher finds it
/// (green: the teacher agrees, red: it would rarely say this). Hovering a token shows the
/// teacher's probability for it and its top alternatives.
class TokenView : public QTextBrowser {
  Q_OBJECT
public:
  explicit TokenView(QWidget* parent = nullptr);

  /// `differs[i]` marks tokens outside the longest common subsequence with the teacher's text;
  /// with `onlyDifferences` the others are dimmed.
  void setTokens(const QString& prompt, const std::vector<TokenScore>& tokens, const QVector<bool>& differs,
                 bool onlyDifferences);
  int tokenCount() const { return static_cast<int>(m_tokens.size()); }
  /// The tooltip text for token `index` (what hovering shows).
  QString tooltipFor(int index) const;

protected:
  void mouseMoveEvent(QMouseEvent* event) override;

private:
  std::vector<TokenScore> m_tokens;
};

/// Which tokens of `text` are not part of its longest common subsequence with `reference`.
QVector<bool> tokensOutsideCommonSubsequence(const std::vector<TokenScore>& tokens,
                                             const std::vector<TokenScore>& reference);

}  // namespace distill
