// Live charts: points land in the right chart, settings rebuild them, exports write files.
#include <qcustomplot.h>

#include <QtTest>

#include "training_charts.h"

using namespace distill;

namespace {

std::vector<MetricPoint> stepPoints(int step) {
  return {{"teacher", step, step * 0.1, "train/loss", 4.0 - step * 0.01},
          {"s-kd", step, step * 0.1, "train/loss", 4.5 - step * 0.01},
          {"s-kd", step, step * 0.1, "train/kd_loss", 1.0},
          {"s-kd", step, step * 0.1, "train/ce_loss", 3.0},
          {"s-scratch", step, step * 0.1, "train/ce_loss", 3.5},
          {"s-scratch", step, step * 0.1, "lr", 0.001},
          {"teacher", step, step * 0.1, "tokens_per_s", 1000.0}};
}

}  // namespace

class TestTrainingCharts : public QObject {
  Q_OBJECT
private slots:
  void pointsReachTheirCharts() {
    ModelPalette palette;
    TrainingCharts charts(&palette);
    for (int step = 1; step <= 10; ++step) charts.addPoints("", stepPoints(step));
    charts.addPoints("", {{"teacher", 10, 1.0, "val/loss", 2.0}});
    QCOMPARE(charts.drawnPoints(TrainingCharts::TrainLoss), 20);
    // The distilled model's objective, soft and hard terms.
    QCOMPARE(charts.drawnPoints(TrainingCharts::KdSplit), 30);
    QCOMPARE(charts.drawnPoints(TrainingCharts::ValLoss), 1);
    QCOMPARE(charts.drawnPoints(TrainingCharts::LearningRate), 10);
    QCOMPARE(charts.drawnPoints(TrainingCharts::Throughput), 10);
    QCOMPARE(charts.plot(TrainingCharts::TrainLoss)->graphCount(), 2);
  }

  void smoothingAndWallTimeRebuildTheCurves() {
    ModelPalette palette;
    TrainingCharts charts(&palette);
    charts.addPoints("", {{"teacher", 1, 0.5, "train/loss", 4.0}, {"teacher", 2, 1.0, "train/loss", 2.0}});
    auto* graph = charts.plot(TrainingCharts::TrainLoss)->graph(0);
    charts.setSmoothing(0.0);
    QCOMPARE((graph->data()->constBegin() + 1)->value, 2.0);
    charts.setSmoothing(0.5);  // debiased: (0.5*4*0.5 + 0.5*2) / 0.75 = 2.666…
    QVERIFY(std::abs((graph->data()->constBegin() + 1)->value - 8.0 / 3.0) < 1e-9);
    charts.setWallTimeAxis(true);
    QCOMPARE((graph->data()->constBegin() + 1)->key, 1.0);
    QCOMPARE(graph->data()->size(), 2);
  }

  void theValidationChartSwitchesToBitsPerCharacter() {
    ModelPalette palette;
    TrainingCharts charts(&palette);
    for (int step : {100, 200})
      charts.addPoints("", {{"teacher", step, 1.0, "val/loss", 2.0 / step},
                            {"teacher", step, 1.0, "val/bits_per_char", 3.0 / step},
                            {"s-kd", step, 1.0, "val/loss", 4.0 / step},
                            {"s-kd", step, 1.0, "val/bits_per_char", 5.0 / step}});
    auto valuesOf = [&](const QString& model, const QString& metric) {
      QVector<double> values;
      const QString name = charts.legendEntry(TrainingCharts::ValLoss, "", model, metric);
      auto* plot = charts.plot(TrainingCharts::ValLoss);
      for (int g = 0; g < plot->graphCount(); ++g)
        if (!name.isEmpty() && plot->graph(g)->name() == name)
          for (auto it = plot->graph(g)->data()->constBegin(); it != plot->graph(g)->data()->constEnd(); ++it)
            values << it->value;
      return values;
    };
    QCOMPARE(valuesOf("s-kd", "val/loss"), (QVector<double>{0.04, 0.02}));
    QVERIFY(charts.legendEntry(TrainingCharts::ValLoss, "", "s-kd", "val/bits_per_char").isEmpty());
    charts.setValidationInBits(true);
    QCOMPARE(charts.plot(TrainingCharts::ValLoss)->graphCount(), 2);  // one curve per model, not four
    QCOMPARE(valuesOf("s-kd", "val/bits_per_char"), (QVector<double>{0.05, 0.025}));
    QCOMPARE(valuesOf("teacher", "val/bits_per_char"), (QVector<double>{0.03, 0.015}));
    QVERIFY(charts.legendEntry(TrainingCharts::ValLoss, "", "s-kd", "val/loss").isEmpty());
    QCOMPARE(charts.plot(TrainingCharts::ValLoss)->yAxis->label(), QString("bits per character"));
    charts.addPoints("", {{"s-kd", 300, 1.0, "val/bits_per_char", 0.01}});  // live points keep coming
    QCOMPARE(valuesOf("s-kd", "val/bits_per_char").size(), 3);
    charts.setValidationInBits(false);
    QCOMPARE(valuesOf("s-kd", "val/loss"), (QVector<double>{0.04, 0.02}));
  }

  void overlaidRunsAreSeparateCurves() {
    ModelPalette palette;
    TrainingCharts charts(&palette);
    charts.addPoints("", stepPoints(1));
    charts.addPoints("older-run", stepPoints(1));
    QCOMPARE(charts.plot(TrainingCharts::TrainLoss)->graphCount(), 4);
    charts.clearRun("older-run");
    QCOMPARE(charts.plot(TrainingCharts::TrainLoss)->graphCount(), 2);
  }

  // A run with repeats draws each model once: the mean over its repeats with a band that the
  // user switches between the repeats' range and ±1 sd.
  void aRepeatedRunDrawsItsMeanWithABand() {
    ModelPalette palette;
    TrainingCharts charts(&palette);
    for (int repeat = 1; repeat <= 3; ++repeat)
      for (int step : {0, 10})
        charts.addPoints("", {{"s-kd", step, 0.0, "val/loss",
                               step == 0 ? (repeat == 3 ? 9.0 : 3.0 + repeat) : 2.0, repeat}});
    QCOMPARE(charts.legendEntry(TrainingCharts::ValLoss, "", "s-kd", "val/loss"),
             QString("s-kd (mean of 3)"));
    const auto* mean = charts.plot(TrainingCharts::ValLoss)->graph(0);
    QCOMPARE(mean->data()->size(), 2);          // one point a step, not one a repeat
    QCOMPARE(mean->data()->at(0)->value, 6.0);  // mean of 4, 5, 9
    const QCPGraph* upper = charts.bandEdge(TrainingCharts::ValLoss, "", "s-kd", "val/loss", true);
    QVERIFY(upper);
    QCOMPARE(upper->data()->at(0)->value, 9.0);  // their max
    charts.setBandKind(BandKind::StandardDeviation);
    upper = charts.bandEdge(TrainingCharts::ValLoss, "", "s-kd", "val/loss", true);
    QCOMPARE(upper->data()->at(0)->value, 6.0 + std::sqrt(7.0));  // mean + sample sd √((4 + 1 + 9) / 2)
    QCOMPARE(charts.bandEdge(TrainingCharts::ValLoss, "", "s-kd", "val/loss", false)->data()->at(1)->value,
             2.0);
    QCOMPARE(upper->channelFillGraph(),
             charts.bandEdge(TrainingCharts::ValLoss, "", "s-kd", "val/loss", false));
  }

  void exportWritesPngPdfAndCsv() {
    ModelPalette palette;
    TrainingCharts charts(&palette);
    charts.resize(1000, 700);
    for (int step = 1; step <= 5; ++step) charts.addPoints("", stepPoints(step));
    QTemporaryDir dir;
    QVERIFY(charts.exportPng(dir.filePath("c.png")));
    QVERIFY(charts.exportPdf(dir.filePath("c.pdf")));
    QVERIFY(charts.exportCsv(dir.filePath("c.csv")));
    QImage image(dir.filePath("c.png"));
    QVERIFY(!image.isNull() && image.width() > 100);
    QFile pdf(dir.filePath("c.pdf"));
    QVERIFY(pdf.open(QIODevice::ReadOnly));
    QVERIFY(pdf.read(5) == "%PDF-");
    QFile csv(dir.filePath("c.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QCOMPARE(QString(csv.readAll()).trimmed().split('\n').size(), 1 + 5 * 7);
  }

  void theMainChartComparesCrossEntropyOnly() {
    ModelPalette palette;
    TrainingCharts charts(&palette);
    charts.setSmoothing(0.0);
    charts.addPoints("", {{"teacher", 1, 0.1, "train/loss", 2.5},
                          {"s-kd", 1, 0.1, "train/loss", 1.2},  // α·KD + (1−α)·CE: not a cross-entropy
                          {"s-kd", 1, 0.1, "train/kd_loss", 0.4},
                          {"s-kd", 1, 0.1, "train/ce_loss", 3.0},
                          {"s-scratch", 1, 0.1, "train/loss", 3.2}});
    auto valueOf = [&](TrainingCharts::Chart chart, const QString& model, const QString& metric) {
      QCPGraph* found = nullptr;
      const QString name = charts.legendEntry(chart, "", model, metric);
      for (int i = 0; i < charts.plot(chart)->graphCount(); ++i)
        if (charts.plot(chart)->graph(i)->name() == name) found = charts.plot(chart)->graph(i);
      return found && !found->data()->isEmpty() ? found->data()->constBegin()->value : -1.0;
    };
    QCOMPARE(valueOf(TrainingCharts::TrainLoss, "s-kd", "train/ce_loss"), 3.0);
    QVERIFY(charts.legendEntry(TrainingCharts::TrainLoss, "", "s-kd", "train/loss").isEmpty());
    QCOMPARE(valueOf(TrainingCharts::TrainLoss, "teacher", "train/loss"), 2.5);
    QCOMPARE(charts.plot(TrainingCharts::TrainLoss)->graphCount(), 3);
    // The objective and its terms have their own chart, labelled as such.
    QCOMPARE(valueOf(TrainingCharts::KdSplit, "s-kd", "train/loss"), 1.2);
    QVERIFY(charts.legendEntry(TrainingCharts::KdSplit, "", "s-kd", "train/loss").contains("objective"));
  }

  void aLegendClickKeepsTheChartFollowingItsData() {
    ModelPalette palette;
    TrainingCharts charts(&palette);
    charts.resize(1200, 800);
    charts.show();
    QVERIFY(QTest::qWaitForWindowExposed(&charts));
    for (int step = 1; step <= 10; ++step) charts.addPoints("", stepPoints(step));
    charts.flushReplots();
    auto* plot = charts.plot(TrainingCharts::TrainLoss);
    QVERIFY(plot->legend->visible() && plot->legend->itemCount() > 0);
    // A real click on the first legend entry hides that curve...
    const QPoint at = plot->legend->item(0)->outerRect().center();
    QTest::mouseClick(plot, Qt::LeftButton, Qt::NoModifier, at);
    QVERIFY(!plot->graph(0)->visible() || !plot->graph(1)->visible());
    QVERIFY(charts.followsData(TrainingCharts::TrainLoss));
    // ...and new points still fit the axes.
    for (int step = 11; step <= 50; ++step) charts.addPoints("", stepPoints(step));
    charts.flushReplots();
    QVERIFY(plot->xAxis->range().upper >= 50.0);
    // A drag is a user zoom: the chart stops following until Reset zoom.
    const QPoint middle = plot->axisRect()->rect().center();
    QTest::mousePress(plot, Qt::LeftButton, Qt::NoModifier, middle);
    QMouseEvent move(QEvent::MouseMove, QPointF(middle + QPoint(60, 0)),
                     plot->mapToGlobal(QPointF(middle + QPoint(60, 0))), Qt::LeftButton, Qt::LeftButton,
                     Qt::NoModifier);
    QApplication::sendEvent(plot, &move);
    QTest::mouseRelease(plot, Qt::LeftButton, Qt::NoModifier, middle + QPoint(60, 0));
    QVERIFY(!charts.followsData(TrainingCharts::TrainLoss));
    charts.resetZoom();
    QVERIFY(charts.followsData(TrainingCharts::TrainLoss));
  }

  void anOverlaidRunIsFadedAndTagged() {
    ModelPalette palette;
    TrainingCharts charts(&palette);
    charts.addPoints("", stepPoints(1));
    charts.addPoints("2026-12-01_older", stepPoints(1));
    QCOMPARE(charts.runTag("2026-12-01_older"), QString("[1]"));
    const QString live = charts.legendEntry(TrainingCharts::TrainLoss, "", "teacher", "train/loss");
    const QString overlaid =
        charts.legendEntry(TrainingCharts::TrainLoss, "2026-12-01_older", "teacher", "train/loss");
    QVERIFY2(overlaid.startsWith("[1]") && overlaid.size() < 20, qPrintable(overlaid));
    QCPGraph *liveGraph = nullptr, *overlayGraph = nullptr;
    auto* plot = charts.plot(TrainingCharts::TrainLoss);
    for (int i = 0; i < plot->graphCount(); ++i) {
      if (plot->graph(i)->name() == live) liveGraph = plot->graph(i);
      if (plot->graph(i)->name() == overlaid) overlayGraph = plot->graph(i);
    }
    QVERIFY(liveGraph && overlayGraph);
    QVERIFY(overlayGraph->pen().color().alpha() < liveGraph->pen().color().alpha());
    QVERIFY(overlayGraph->pen().widthF() < liveGraph->pen().widthF());
  }

  void emptyChartsSayHowToStart() {
    ModelPalette palette;
    TrainingCharts charts(&palette);
    QVERIFY(charts.showsEmptyHint(TrainingCharts::TrainLoss));
    charts.addPoints("", stepPoints(1));
    QVERIFY(!charts.showsEmptyHint(TrainingCharts::TrainLoss));
    QVERIFY(charts.showsEmptyHint(TrainingCharts::ValLoss));  // no validation point yet
  }

  void legendsSitOutsideThePlot() {
    ModelPalette palette;
    TrainingCharts charts(&palette);
    charts.resize(1200, 800);
    for (int step = 1; step <= 3; ++step) charts.addPoints("", stepPoints(step));
    charts.flushReplots();
    auto* plot = charts.plot(TrainingCharts::TrainLoss);
    QVERIFY(!plot->legend->outerRect().intersects(plot->axisRect()->rect()));
  }

  // The objective chart at the size it has in the window, three distilled students, a run
  // overlaid: its legend is as wide as its longest name and no taller than the chart.
  void theObjectiveLegendFitsWithAnOverlay() {
    ModelPalette palette;
    TrainingCharts charts(&palette);
    charts.resize(1000, 720);
    charts.show();
    for (const QString run : {"", "2026-12-01_older"}) {
      for (int step = 1; step <= 3; ++step) {
        std::vector<MetricPoint> points;
        for (const std::string student : {"transformer-kd", "lstm-kd", "gru-kd"})
          for (const char* metric : {"train/loss", "train/kd_loss", "train/ce_loss"})
            points.push_back({student, step, step * 0.1, metric, 2.0});
        charts.addPoints(run, points);
      }
    }
    charts.flushReplots();
    auto* plot = charts.plot(TrainingCharts::KdSplit);
    QCOMPARE(plot->legend->itemCount(), 9);  // the live run's three lines per student
    QVERIFY2(plot->legend->outerRect().bottom() <= plot->height(),
             qPrintable(QString::number(plot->legend->outerRect().bottom())));
    QVERIFY(plot->legend->outerRect().width() >= plot->legend->minimumOuterSizeHint().width());
  }
};

QTEST_MAIN(TestTrainingCharts)
#include "tst_training_charts.moc"
