// The runs panel on a large runs folder: how long a refresh takes, and how late the GUI thread
// serves a 5 ms timer meanwhile (the folders are read on a background thread; the table is
// filled on the GUI thread).
//   bench_runs_listing RUNS_DIR [--refreshes N]
// Prints one JSON line.

#include <QApplication>
#include <QElapsedTimer>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <vector>

#include "runs_panel.h"
#include "stall_stats.h"

using distill::bench::percentile;

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_runs_listing RUNS_DIR [--refreshes N]\n");
    return 2;
  }
  const QString root = argv[1];
  int refreshes = 5;
  for (int i = 2; i + 1 < argc; ++i)
    if (QString(argv[i]) == "--refreshes") refreshes = QString(argv[i + 1]).toInt();

  distill::RunsPanel panel;
  panel.resize(1000, 700);
  panel.show();

  std::vector<double> lateness, refreshMs;
  QElapsedTimer clock, refreshClock;
  qint64 last = 0;
  QTimer probe;
  probe.setTimerType(Qt::PreciseTimer);
  probe.setInterval(5);
  QObject::connect(&probe, &QTimer::timeout, [&] {
    const qint64 now = clock.nsecsElapsed();
    if (last > 0) lateness.push_back(std::max(0.0, (now - last) / 1e6 - 5.0));
    last = now;
  });
  QObject::connect(&panel, &distill::RunsPanel::refreshed, [&] {
    refreshMs.push_back(refreshClock.nsecsElapsed() / 1e6);
    if (static_cast<int>(refreshMs.size()) < refreshes) {
      refreshClock.start();
      panel.refresh();
      return;
    }
    probe.stop();
    std::printf(
        "{\"bench\":\"runs_listing\",\"runs\":%d,\"refreshes\":%zu,\"refresh_ms_median\":%.1f,"
        "\"refresh_ms_max\":%.1f,\"stall_max_ms\":%.2f,\"stall_p99_ms\":%.2f,\"samples\":%zu}\n",
        panel.runCount(), refreshMs.size(), percentile(refreshMs, 0.5),
        *std::max_element(refreshMs.begin(), refreshMs.end()),
        lateness.empty() ? 0.0 : *std::max_element(lateness.begin(), lateness.end()),
        percentile(lateness, 0.99), lateness.size());
    std::fflush(stdout);
    app.quit();
  });
  QTimer::singleShot(200, [&] {
    clock.start();
    probe.start();
    refreshClock.start();
    panel.setRoot(root);
  });
  return app.exec();
}
