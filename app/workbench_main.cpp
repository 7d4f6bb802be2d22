// `distill-workbench [EXPERIMENT.yaml]`: the Qt window over the engine.

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QScrollArea>
#include <QTabWidget>
#include <QTimer>
#include <algorithm>

#include "experiment_form.h"
#include "main_window.h"
#include "sample_panel.h"
#include "sweep/sweep_tab.h"
#include "training_charts.h"

namespace {

/// `--grab MS:FILE[:TAB[:LEFT]]`: after MS milliseconds save the window as FILE, showing tab TAB
/// on the right (0 curves, 1 samples, 2 runs, 3 sweep, 4 sweep with its scatters) and LEFT on the left (0
/// form, 1 YAML, 2 the form scrolled to its distillation methods, 3 to its Processes field). Used to keep the
/// screenshots in docs/ current.
void scheduleGrabs(distill::MainWindow& window, const QStringList& grabs, bool generateSamples) {
  int last = 0;
  for (const QString& spec : grabs) {
    const QStringList parts = spec.split(':');
    if (parts.size() < 2) continue;
    const int ms = parts[0].toInt();
    const QString file = parts[1];
    const int tab = parts.size() > 2 ? parts[2].toInt() : 0;
    const int left = parts.size() > 3 ? parts[3].toInt() : 0;
    last = std::max(last, ms);
    QTimer::singleShot(ms, &window, [&window, file, tab, left, generateSamples] {
      window.viewTabs()->setCurrentIndex(std::min(tab, 3));
      window.sweepTab()->plotTabs()->setCurrentIndex(tab == 4 ? 1 : 0);
      window.setupTabs()->setCurrentIndex(left == 1 ? 1 : 0);
      if (left >= 2) {
        auto* scroll = window.form()->findChild<QScrollArea*>();
        const char* key = left == 2 ? "distill.attention_weight" : "train.processes";
        if (auto* target = window.form()->findChild<QWidget*>(key); scroll && target)
          scroll->ensureWidgetVisible(target, 0, 40);
      }
      if (tab == 1 && generateSamples) window.samplePanel()->generate();
      QTimer::singleShot(tab == 1 && generateSamples ? 6000 : 300, &window, [&window, file] {
        window.charts()->flushReplots();
        window.grab().save(file);
      });
    });
  }
  if (!grabs.isEmpty()) QTimer::singleShot(last + 8000, &window, &QWidget::close);
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("DistillationWorkbench");
  QApplication::setApplicationName("Distillation Workbench");
  QCommandLineParser parser;
  parser.setApplicationDescription("Knowledge distillation workbench for language models");
  parser.addHelpOption();
  parser.addPositionalArgument("experiment", "Experiment YAML (default: experiments/shakespeare_char.yaml)");
  QCommandLineOption runs("runs", "Folder for run directories (default: ./runs)", "dir", "runs");
  QCommandLineOption start("start", "Start the run at once");
  QCommandLineOption openRun("open-run", "Open a finished run directory (curves, samples)", "dir");
  QCommandLineOption openSweep("open-sweep", "Show a sweep folder's trials in the Sweep tab", "dir");
  QCommandLineOption resumeRun("resume-run", "Resume a stopped or crashed run directory at once", "dir");
  QCommandLineOption grab(
      "grab", "Save a PNG of the window: MS:FILE[:TAB] (repeatable); quits after the last", "spec");
  parser.addOption(runs);
  parser.addOption(start);
  parser.addOption(openRun);
  parser.addOption(resumeRun);
  parser.addOption(openSweep);
  parser.addOption(grab);
  parser.process(app);

  distill::MainWindow window(parser.value(runs));
  QString experiment = parser.positionalArguments().value(0);
  if (experiment.isEmpty()) {
    // The default experiment, found from the working directory or next to the source tree.
    for (const QString& candidate : {QString("experiments/shakespeare_char.yaml"),
                                     QString(DISTILL_SOURCE_DIR "/experiments/shakespeare_char.yaml")}) {
      if (QFileInfo::exists(candidate)) {
        experiment = candidate;
        break;
      }
    }
  }
  if (!experiment.isEmpty()) window.openExperiment(experiment);
  window.show();
  if (parser.isSet(openRun)) window.openRun(parser.value(openRun));
  if (parser.isSet(openSweep)) {
    window.sweepTab()->showSweep(parser.value(openSweep));
    window.viewTabs()->setCurrentWidget(window.sweepTab());
  }
  if (parser.isSet(start)) QTimer::singleShot(0, &window, &distill::MainWindow::start);
  if (parser.isSet(resumeRun)) {
    const QString dir = parser.value(resumeRun);
    QTimer::singleShot(0, &window, [&window, dir] { window.resumeRun(dir); });
  }
  scheduleGrabs(window, parser.values(grab), parser.isSet(openRun));
  return app.exec();
}
