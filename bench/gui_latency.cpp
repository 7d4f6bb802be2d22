// Event-loop stall probe for the workbench: with a million points on the charts and a real run
// training at full speed, how late does the GUI thread serve a 5 ms timer?
//   bench_gui_latency [--seconds S] [--points N]
// Prints one JSON line: max / p99 / p50 lateness in ms, points drawn, training steps seen.

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <vector>

#include "distill/config.h"
#include "main_window.h"
#include "run_controller.h"
#include "stall_stats.h"
#include "training_charts.h"

namespace {

using distill::bench::percentile;

std::vector<distill::MetricPoint> preloadedCurves(long long total) {
  // Seven models' training loss, like a finished run's curves.
  const char* models[] = {"teacher", "a-kd", "a-scratch", "b-kd", "b-scratch", "c-kd", "c-scratch"};
  std::vector<distill::MetricPoint> points;
  points.reserve(static_cast<size_t>(total));
  const long long perModel = total / 7;
  for (const char* model : models)
    for (long long step = 0; step < perModel; ++step)
      points.push_back({model, static_cast<int>(step), step * 0.01, "train/loss",
                        4.0 / (1.0 + step * 1e-4) + (step % 7) * 0.01});
  return points;
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  int seconds = 20;
  long long pointCount = 1000000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (QString(argv[i]) == "--seconds") seconds = QString(argv[i + 1]).toInt();
    if (QString(argv[i]) == "--points") pointCount = QString(argv[i + 1]).toLongLong();
  }

  distill::MainWindow window(QDir::tempPath() + "/distill-bench-runs");
  auto config = distill::loadExperimentFile(DISTILL_PROJECT_DIR "/experiments/shakespeare_char.yaml").config;
  config.train.steps = 1000000;  // keeps training for the whole measurement
  window.setExperiment(config);
  window.show();
  window.start();
  window.charts()->addPoints("preloaded", preloadedCurves(pointCount));

  std::vector<double> lateness;
  QElapsedTimer clock;
  QTimer probe;
  probe.setTimerType(Qt::PreciseTimer);
  probe.setInterval(5);
  qint64 last = 0;
  QObject::connect(&probe, &QTimer::timeout, [&] {
    const qint64 now = clock.nsecsElapsed();
    if (last > 0) lateness.push_back(std::max(0.0, (now - last) / 1e6 - 5.0));
    last = now;
  });
  // Measure after the first second, once the preload's first replot is behind us.
  QTimer::singleShot(1000, [&] {
    clock.start();
    probe.start();
  });
  QTimer::singleShot(1000 + seconds * 1000, [&] {
    probe.stop();
    const int drawn = window.charts()->drawnPoints(distill::TrainingCharts::TrainLoss);
    std::printf(
        "{\"bench\":\"gui_latency\",\"seconds\":%d,\"samples\":%zu,\"max_ms\":%.2f,\"p99_ms\":%.2f,\"p50_"
        "ms\":%.2f,"
        "\"train_loss_points_drawn\":%d,\"stored_points\":%lld}\n",
        seconds, lateness.size(),
        lateness.empty() ? 0.0 : *std::max_element(lateness.begin(), lateness.end()),
        percentile(lateness, 0.99), percentile(lateness, 0.5), drawn, window.charts()->storedPoints());
    std::fflush(stdout);
    window.close();
    app.quit();
  });
  return app.exec();
}
