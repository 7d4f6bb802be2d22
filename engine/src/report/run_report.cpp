// `distill report` / File → Export → Report: one HTML file with everything inline (no scripts,
// no external files), readable in any browser and as an e-mail attachment.

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "distill/errors.h"
#include "distill/experiment.h"
#include "distill/generation.h"
#include "distill/metric_names.h"
#include "distill/report.h"
#include "distill/run_reader.h"
#include "distill/text_metrics.h"
#include "distill/twin_comparison.h"
#include "report/svg_chart.h"
#include "util/paths.h"

namespace distill {

namespace fs = std::filesystem;

namespace {

const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                          "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};

bool endsWith(const std::string& text, const std::string& suffix) {
  return text.size() > suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The student a model belongs to ("lstm" for lstm-kd and lstm-scratch; "" for the teacher).
std::string studentOf(const std::string& model) {
  for (const std::string suffix : {"-kd", "-scratch"})
    if (endsWith(model, suffix)) return model.substr(0, model.size() - suffix.size());
  return "";
}

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "—";
  char text[48];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

/// One curve per model of `metric` (per model, `metricFor` may pick another metric), averaged
/// over repeats at each step and smoothed with TensorBoard's debiased moving average.
std::vector<ChartSeries> curves(const std::vector<MetricPoint>& points,
                                const std::function<std::string(const std::string&)>& metricFor,
                                double smoothing, bool markers) {
  std::map<std::string, std::map<int, std::pair<double, int>>> byModel;  // model → step → (sum, n)
  std::vector<std::string> order;
  for (const auto& p : points) {
    if (p.name != metricFor(p.model) || !std::isfinite(p.value)) continue;
    if (!byModel.count(p.model)) order.push_back(p.model);
    auto& at = byModel[p.model][p.step];
    at.first += p.value, ++at.second;
  }
  std::vector<std::string> students, teachers;
  std::vector<ChartSeries> out;
  for (const auto& model : order) {
    const std::string student = studentOf(model);
    if (!student.empty() && std::find(students.begin(), students.end(), student) == students.end())
      students.push_back(student);
    ChartSeries s;
    s.name = model;
    s.markers = markers;
    s.dashed = endsWith(model, "-scratch");
    const auto index = std::find(students.begin(), students.end(), student) - students.begin();
    if (student.empty()) teachers.push_back(model);
    s.color = student.empty() ? teacherColor(teachers.size() - 1) : kPalette[index % 8];
    double ema = 0.0;
    int n = 0;
    for (const auto& [step, sum] : byModel[model]) {
      const double v = sum.first / sum.second;
      ++n;
      ema = ema * smoothing + (1.0 - smoothing) * v;
      s.x.push_back(step);
      s.y.push_back(smoothing > 0 ? ema / (1.0 - std::pow(smoothing, n)) : v);
    }
    out.push_back(std::move(s));
  }
  return out;
}

/// An ensemble of teachers: each student's agreement and KL against each member ("" otherwise).
std::string teacherTable(const RunRecord& run) {
  std::vector<std::string> teachers;
  for (const auto& m : run.models)
    for (size_t i = teachers.size(); i < m.byTeacher.size(); ++i) teachers.push_back(m.byTeacher[i].teacher);
  if (teachers.empty()) return {};
  std::ostringstream html;
  html << "<p>Against each teacher of the ensemble (the table above: against the ensemble):</p><table><tr>"
          "<th>model</th>";
  for (const auto& t : teachers)
    html << "<th>agreement " << escapeHtml(t) << "</th><th>KL " << escapeHtml(t) << "</th>";
  html << "</tr>";
  for (const auto& m : run.models) {
    if (m.byTeacher.empty()) continue;
    html << "<tr><td>" << escapeHtml(m.name) << "</td>";
    for (const auto& t : m.byTeacher)
      html << "<td class=n>" << fixed(t.agreement, 3) << "</td><td class=n>" << fixed(t.kl, 4) << "</td>";
    html << "</tr>";
  }
  return html.str() + "</table>";
}

std::string resultsTable(const RunRecord& run) {
  std::ostringstream html;
  html << "<table><tr><th>model</th><th>role</th><th>arch</th><th>params</th><th>val loss</th>"
          "<th>bits/char</th><th>perplexity</th><th>agreement</th><th>KL from teacher</th><th>gen "
          "tokens/s</th></tr>";
  for (const auto& m : run.models) {
    std::string loss = fixed(m.valLoss, 4);
    if (m.repeats.size() >= 2) loss += " ± " + fixed(spreadOf(m.repeats, &RepeatOutcome::valLoss).sd, 4);
    html << "<tr><td>" << escapeHtml(m.name) << "</td><td>" << roleName(m.role) << "</td><td>"
         << escapeHtml(m.arch) << "</td><td class=n>" << m.params << "</td><td class=n>" << loss
         << "</td><td class=n>" << fixed(m.valBitsPerChar, 4) << "</td><td class=n>"
         << fixed(m.valPerplexity, 3) << "</td><td class=n>" << fixed(m.agreement, 3) << "</td><td class=n>"
         << fixed(m.klFromTeacher, 4) << "</td><td class=n>" << fixed(m.genTokensPerSecond, 0)
         << "</td></tr>";
  }
  html << "</table>" << teacherTable(run) << "<ul>";
  for (const auto& pair : twinPairs(run.models)) {
    html << "<li><b>" << escapeHtml(pair.student) << "</b>: distilled " << fixed(pair.distilled->valLoss, 4)
         << " vs scratch " << fixed(pair.scratch->valLoss, 4) << " — ";
    if (pair.paired.pairs >= 2)
      html << "KD − scratch " << escapeHtml(intervalText(pair.paired)) << " (95 % CI): ";
    else
      html << fixed(pair.comparison.delta, 4) << ": ";
    html << "<b>" << escapeHtml(twinVerdict(pair)) << "</b></li>";
  }
  return html.str() + "</ul>";
}

/// One token of a sample, shaded by the teacher's probability of it, its top 5 in the tooltip.
std::string shadedToken(const TokenScore& t) {
  const double p = std::exp(t.logProb);
  std::ostringstream tip;
  tip << "teacher p = " << fixed(p, 3);
  for (const auto& [text, logProb] : t.alternatives)
    tip << "\n" << text << "  " << fixed(std::exp(logProb), 3);
  std::string shown = escapeHtml(t.text);
  std::string withBreaks;
  for (char c : shown) withBreaks += c == '\n' ? std::string("↵<br>") : std::string(1, c);
  char color[48];
  std::snprintf(color, sizeof color, "hsl(%d,75%%,82%%)", static_cast<int>(std::lround(120.0 * p)));
  return "<span style='background:" + std::string(color) + "' title='" + escapeHtml(tip.str()) + "'>" +
         withBreaks + "</span>";
}

std::string samplesSection(const std::string& runDir, const std::string& prompt, const ReportOptions& options,
                           const GenerateConfig& g) {
  // An ensemble's first member shades every sample (the one teacher otherwise).
  const std::string reference = firstTeacherOf(modelsInRun(runDir));
  std::unique_ptr<TextGenerator> teacher;
  try {
    teacher = std::make_unique<TextGenerator>(checkpointPathFor(runDir, reference));
  } catch (const std::exception&) {
    // No teacher checkpoint: samples without shading.
  }
  SamplingOptions sampling{options.maxNewTokens,          g.temperature, g.top_k, g.top_p,
                           static_cast<uint64_t>(g.seed), false};
  std::ostringstream html;
  html << "<p>Prompt <code>" << escapeHtml(prompt) << "</code>, temperature " << g.temperature << ", top-k "
       << g.top_k << ", seed " << g.seed
       << ". Shading: " << escapeHtml(reference == "teacher" ? "the teacher" : reference)
       << "'s probability of each token (red: unlikely, green: likely); hover for its top 5.</p><div "
          "class=samples>";
  for (const auto& model : modelsInRun(runDir)) {
    if (options.progress) options.progress("sampling " + model);
    html << "<div class=sample><h3>" << escapeHtml(model) << "</h3><pre>" << escapeHtml(prompt);
    try {
      TextGenerator generator(checkpointPathFor(runDir, model));
      const auto result = generator.generate(prompt, sampling);
      if (teacher)
        for (const auto& t : teacher->score(prompt, result.text)) html << shadedToken(t);
      else
        html << escapeHtml(result.text);
    } catch (const std::exception& e) {
      html << "\n(" << escapeHtml(e.what()) << ")";
    }
    html << "</pre></div>";
  }
  return html.str() + "</div>";
}

const char* kStyle =
    "body{font-family:sans-serif;max-width:1180px;margin:24px auto;color:#222}h1{margin-bottom:0}"
    "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}"
    "pre{background:#f8f8f8;padding:8px;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere}"
    ".samples{display:grid;grid-template-columns:1fr 1fr;gap:10px}.sample h3{margin:4px 0;font-size:14px}"
    ".sample:first-child{grid-column:1/3}details{margin:8px 0}.muted{color:#777}";

/// Prompt/response runs: every model's exact match on the held-out prompts, and the first `rows`
/// prompts with the reference and each model's answer (green: the reference, red: not).
std::string heldOutSection(const std::vector<HeldOutAnswers>& answered, size_t rows) {
  std::ostringstream html;
  std::vector<int> right(answered.front().answers.size(), 0);
  for (const auto& a : answered)
    for (size_t m = 0; m < a.answers.size() && m < right.size(); ++m)
      right[m] += exactMatch(a.answers[m].second, a.reference) ? 1 : 0;
  html << "<p>" << answered.size() << " held-out prompts answered greedily when the run ended. Exact match: ";
  for (size_t m = 0; m < right.size(); ++m)
    html << (m ? " · " : "") << escapeHtml(answered.front().answers[m].first) << " "
         << fixed(100.0 * right[m] / static_cast<double>(answered.size()), 1) << " %";
  html << "</p><table><tr><th>prompt</th><th>reference</th>";
  for (const auto& [model, answer] : answered.front().answers) html << "<th>" << escapeHtml(model) << "</th>";
  html << "</tr>";
  for (size_t r = 0; r < std::min(rows, answered.size()); ++r) {
    const auto& a = answered[r];
    html << "<tr><td>" << escapeHtml(a.prompt) << "</td><td>" << escapeHtml(a.reference) << "</td>";
    for (const auto& [model, answer] : a.answers)
      html << "<td style='background:" << (exactMatch(answer, a.reference) ? "#e3f4e1" : "#fbe4e4") << "'>"
           << escapeHtml(answer) << "</td>";
    html << "</tr>";
  }
  html << "</table>";
  if (answered.size() > rows)
    html << "<p class=muted>The first " << rows << "; every answer is in responses.jsonl.</p>";
  return html.str();
}

}  // namespace

void writeRunReport(const std::string& runDir, const std::string& outFile, const ReportOptions& options) {
  const RunRecord run = readRunSummary(runDir);
  const std::string configText = readFile((fs::path(runDir) / "config.yaml").string(), "the run's settings");
  const auto loaded = parseExperiment(configText, runDir);
  const auto points = readMetrics(runDir);
  std::ostringstream html;
  html << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>" << escapeHtml(run.experiment)
       << " — distillation report</title><style>" << kStyle << "</style></head><body>";
  html << "<h1>" << escapeHtml(run.experiment) << "</h1><p class=muted>" << escapeHtml(runDir) << " · "
       << escapeHtml(run.status) << " · " << escapeHtml(run.modified) << "</p>";
  html << "<h2>Results</h2>" << resultsTable(run);
  // Like with like: a distilled student's cross-entropy term beside the others' training loss.
  const auto trainMetric = [](const std::string& model) {
    return std::string(endsWith(model, "-kd") ? metric::kHardLoss : metric::kTrainLoss);
  };
  html << "<h2>Curves</h2>"
       << svgLineChart("Training cross-entropy on the next token (smoothed 0.6)", "step", "nats",
                       curves(points, trainMetric, 0.6, false))
       << svgLineChart(
              "Validation loss", "step", "loss",
              curves(
                  points, [](const std::string&) { return std::string(metric::kValLoss); }, 0.0, true));
  const auto answered = readHeldOutAnswers(runDir);
  if (!answered.empty()) html << "<h2>Held-out answers</h2>" << heldOutSection(answered, 20);
  if (options.maxNewTokens > 0 && loaded.ok()) {
    const auto& g = loaded.config.generate;
    // Prompt/response runs are sampled from a held-out prompt, as the Samples tab does.
    const std::string prompt = !options.prompt.empty() ? options.prompt
                               : !answered.empty()     ? answered.front().prompt
                               : g.prompts.empty()     ? ""
                                                       : g.prompts.front();
    html << "<h2>Samples</h2>" << samplesSection(runDir, prompt, options, g);
  }
  html << "<h2>Provenance</h2><table>";
  for (const auto& f : run.provenance)
    html << "<tr><td>" << escapeHtml(f.key) << "</td><td>" << escapeHtml(f.value) << "</td></tr>";
  if (run.provenance.empty())
    html << "<tr><td>(no run.json: a run from before provenance was recorded)</td></tr>";
  html << "</table><h2>Experiment</h2><pre>" << escapeHtml(configText) << "</pre></body></html>\n";
  writeFileAtomically(outFile, html.str());
}

}  // namespace distill
