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
    QCOMPARE(charts.drawnPoints(TrainingCharts::KdSplit), 20);  // soft + hard of the distilled model only
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

  void overlaidRunsAreSeparateCurves() {
    ModelPalette palette;
    TrainingCharts charts(&palette);
    charts.addPoints("", stepPoints(1));
    charts.addPoints("older-run", stepPoints(1));
    QCOMPARE(charts.plot(TrainingCharts::TrainLoss)->graphCount(), 4);
    charts.clearRun("older-run");
    QCOMPARE(charts.plot(TrainingCharts::TrainLoss)->graphCount(), 2);
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
};

QTEST_MAIN(TestTrainingCharts)
#include "tst_training_charts.moc"
