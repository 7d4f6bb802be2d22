#include "token_view.h"

#include <QMouseEvent>
#include <QToolTip>
#include <cmath>

namespace distill {

namespace {

QString shade(double logProb) {
  // On a log scale: p ≥ 1 green, p = e^-2.5 ≈ 0.08 yellow, p ≤ e^-5 ≈ 0.007 red. Character models
  // rarely give any token much more than 0.5, so a linear scale would paint everything red.
  const double agreement = std::clamp(1.0 + logProb / 5.0, 0.0, 1.0);
  const int hue = static_cast<int>(agreement * 120.0);
  const QColor c = QColor::fromHsv(hue, 170, 245, 150);
  return QString("rgba(%1,%2,%3,%4)").arg(c.red()).arg(c.green()).arg(c.blue()).arg(c.alphaF(), 0, 'f', 2);
}

QString visible(const QString& token) {
  if (token == "\n") return "↵<br>";
  if (token == " ") return "&nbsp;";
  return token.toHtmlEscaped();
}

}  // namespace

TokenView::TokenView(QWidget* parent) : QTextBrowser(parent) {
  setOpenLinks(false);
  setMouseTracking(true);
  document()->setDefaultStyleSheet(
      "a { color: #111; text-decoration: none; } .prompt { color: #777; font-weight: bold; }");
  setFont(QFont("Monospace", 10));
}

void TokenView::setTokens(const QString& prompt, const std::vector<TokenScore>& tokens,
                          const QVector<bool>& differs, bool onlyDifferences) {
  m_tokens = tokens;
  QString html = "<span class='prompt'>" + prompt.toHtmlEscaped().replace("\n", "<br>") + "</span>";
  for (size_t i = 0; i < tokens.size(); ++i) {
    const QString text = visible(QString::fromStdString(tokens[i].text));
    const bool differ = i < static_cast<size_t>(differs.size()) ? differs[static_cast<int>(i)] : true;
    if (onlyDifferences && !differ) {
      html += "<span style='color:#bbb'>" + text + "</span>";
      continue;
    }
    html += QString("<a href='t:%1' style='background-color:%2'>%3</a>")
                .arg(i)
                .arg(shade(tokens[i].logProb), text);
  }
  setHtml("<div style='white-space: pre-wrap'>" + html + "</div>");
}

QString TokenView::tooltipFor(int index) const {
  if (index < 0 || index >= tokenCount()) return {};
  const auto& t = m_tokens[static_cast<size_t>(index)];
  auto show = [](const std::string& s) {
    const QString q = QString::fromStdString(s);
    return q == "\n" ? QString("↵") : q == " " ? QString("␣") : q;
  };
  QString text = tr("'%1': teacher p = %2\nteacher's top choices:")
                     .arg(show(t.text))
                     .arg(std::exp(t.logProb), 0, 'f', 3);
  for (const auto& [token, logProb] : t.alternatives)
    text += QString("\n  '%1'  %2").arg(show(token)).arg(std::exp(logProb), 0, 'f', 3);
  return text;
}

void TokenView::mouseMoveEvent(QMouseEvent* event) {
  const QString anchor = anchorAt(event->pos());
  if (anchor.startsWith("t:")) {
    QToolTip::showText(event->globalPosition().toPoint(), tooltipFor(anchor.mid(2).toInt()), this);
  } else {
    QToolTip::hideText();
  }
  QTextBrowser::mouseMoveEvent(event);
}

QVector<bool> tokensOutsideCommonSubsequence(const std::vector<TokenScore>& a,
                                             const std::vector<TokenScore>& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] = a[i].text == b[j].text ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  QVector<bool> differs(static_cast<int>(n), true);
  for (size_t i = 0, j = 0; i < n && j < m;) {
    if (a[i].text == b[j].text) {
      differs[static_cast<int>(i)] = false;
      ++i;
      ++j;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      ++i;
    } else {
      ++j;
    }
  }
  return differs;
}

}  // namespace distill
