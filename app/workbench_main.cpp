// `distill-workbench [EXPERIMENT.yaml]`: the Qt window over the engine.

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

#include "main_window.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("DistillationWorkbench");
  QApplication::setApplicationName("Distillation Workbench");
  QCommandLineParser parser;
  parser.setApplicationDescription("Knowledge distillation workbench for language models");
  parser.addHelpOption();
  parser.addPositionalArgument("experiment", "Experiment YAML (default: experiments/shakespeare_char.yaml)");
  QCommandLineOption runs("runs", "Folder for run directories (default: ./runs)", "dir", "runs");
  parser.addOption(runs);
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
  return app.exec();
}
