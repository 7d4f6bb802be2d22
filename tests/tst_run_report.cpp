// The HTML report of a run: one self-contained file with the settings, the provenance, every
// model's results and verdicts, the curves as inline SVG and the samples shaded by the teacher.
#include <torch/torch.h>

#include <QtTest>
#include <fstream>
#include <sstream>

#include "distill/experiment.h"
#include "distill/generation.h"
#include "distill/report.h"
#include "report/svg_chart.h"
#include "temp_files.h"

using namespace distill;

namespace {

/// Runs `yaml` into `tmp`/run and returns the HTML report written with `report` ("" on failure).
std::string reportOfRun(const QTemporaryDir& tmp, const std::string& yaml, const ReportOptions& report) {
  auto loaded = parseExperiment(yaml, ".");
  if (!loaded.ok()) return {};
  RunOptions options;
  options.outDir = tmp.filePath("run").toStdString();
  options.measureSpeed = false;
  RunObserver quiet;
  RunControl control;
  if (runExperiment(loaded.config, options, quiet, control).status != RunResult::Status::Completed) return {};
  const std::string file = tmp.filePath("report.html").toStdString();
  writeRunReport(options.outDir, file, report);
  std::stringstream text;
  text << std::ifstream(file).rdbuf();
  return text.str();
}

/// A six-step run named `name` of one GRU student (and its twin) under `teachers` (a `teacher:` or
/// `teachers:` line).
std::string sixStepRun(const std::string& name, const std::string& teachers) {
  return "name: " + name +
         "\ndata: {corpus: " DISTILL_PROJECT_DIR "/resources/data/tinyshakespeare.txt, block_size: 16}\n" +
         teachers +
         "\nstudents: [{name: s, arch: gru, embd: 8, hidden: 8}]\n"
         "train: {steps: 6, batch_size: 4, warmup_steps: 1, eval_interval: 3, eval_batches: 1, threads: 1}\n"
         "generate: {prompts: [\"ROMEO:\"], max_new_tokens: 2}\n";
}

}  // namespace

class TestRunReport : public QObject {
  Q_OBJECT
private slots:
  // An ensemble's report: each member in its own colour, a table against each member, samples
  // shaded by the first member (named).
  void anEnsemblesReportShowsEachTeacher() {
    QTemporaryDir tmp;
    ReportOptions report;
    report.maxNewTokens = 4;
    const std::string html = reportOfRun(
        tmp,
        sixStepRun(
            "ensemble",
            "teachers: [{name: a, layers: 1, heads: 2, embd: 16}, {name: b, arch: gru, embd: 8, hidden: 8}]"),
        report);
    QVERIFY(!html.empty());
    for (const char* part : {"Against each teacher of the ensemble", "agreement teacher-a", "KL teacher-b",
                             "Shading: teacher-a's probability", teacherColor(0), teacherColor(1)})
      QVERIFY2(html.find(part) != std::string::npos, part);
  }

  void aRunsReportHoldsEverythingInline() {
    QTemporaryDir tmp;
    ReportOptions report;
    report.prompt = "ROMEO & JULIET:";  // escaped, never markup
    report.maxNewTokens = 8;
    const std::string html =
        reportOfRun(tmp, sixStepRun("reported", "teacher: {layers: 1, heads: 2, embd: 16}"), report);
    QVERIFY(!html.empty());
    for (const char* part : {"<h1>reported</h1>", "s-kd", "s-scratch", "teacher", "<svg", "Validation loss",
                             "machine.host", "inputs.corpus.sha256", "name: reported",
                             "ROMEO &amp; JULIET:", "teacher p = ", "hsl(", "distillation"})
      QVERIFY2(html.find(part) != std::string::npos, part);
    QVERIFY(html.find("ROMEO & JULIET") == std::string::npos);
    QVERIFY(html.find("<script") == std::string::npos);  // nothing to run, nothing to fetch
    QVERIFY(html.find("src=") == std::string::npos);
    // One curve per model in each chart.
    size_t polylines = 0;
    for (size_t at = html.find("<polyline"); at != std::string::npos; at = html.find("<polyline", at + 1))
      ++polylines;
    QCOMPARE(polylines, size_t(6));
  }

  void aPromptResponseRunsReportShowsItsHeldOutAnswers() {
    QTemporaryDir tmp;
    ReportOptions report;
    report.maxNewTokens = 4;
    const std::string html =
        reportOfRun(tmp,
                    "data: {corpus: " + writeFile(tmp, "echo.jsonl", echoRecords()) +
                        ", format: prompt_response, block_size: 15, val_fraction: 0.1}\n"
                        "teacher: {layers: 1, heads: 2, embd: 16}\n"
                        "students: [{name: s, arch: gru, embd: 8, hidden: 8}]\n"
                        "train: {steps: 6, batch_size: 4, warmup_steps: 1, eval_interval: 3, "
                        "eval_batches: 1, threads: 1}\n",
                    report);
    QVERIFY(!html.empty());
    for (const char* part : {"<h2>Held-out answers</h2>", "held-out prompts answered greedily",
                             "Exact match: teacher", "<th>reference</th>", "<th>s-scratch</th>", "bits/char"})
      QVERIFY2(html.find(part) != std::string::npos, part);
    // The samples continue a held-out prompt (the default "ROMEO:" is not in this vocabulary).
    QVERIFY2(html.find("not in the model's vocabulary") == std::string::npos,
             "sampled from an unusable prompt");
    QVERIFY(html.find("Prompt <code>ROMEO:") == std::string::npos);
  }

  void chartsScaleTheirPointsIntoThePlot() {
    ChartSeries s;
    s.name = "a<b";
    s.color = "#123456";
    s.x = {0, 10};
    s.y = {1, 2};
    const std::string svg = svgLineChart("t", "step", "loss", {s}, 400, 200);
    QVERIFY(svg.find("a&lt;b") != std::string::npos);
    QVERIFY(svg.find("points='56,") != std::string::npos);  // x = 0 at the plot's left edge
    QVERIFY(svgLineChart("t", "x", "y", {}).find("no points") != std::string::npos);
  }
};

QTEST_GUILESS_MAIN(TestRunReport)
#include "tst_run_report.moc"
