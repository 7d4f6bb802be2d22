// Experiment files: defaults, per-key errors with line and column, overrides, round trip.
#include <torch/torch.h>

#include <QtTest>

#include "distill/config.h"
#include "distill/config_diff.h"
#include "distill/config_patch.h"
#include "distill/config_schema.h"

#include <fstream>
#include <sstream>

using namespace distill;

namespace {

ConfigLoadResult parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return parseExperiment(text, "/experiments", overrides);
}

QString problems(const ConfigLoadResult& r) {
  QStringList lines;
  for (const auto& p : r.problems) lines << QString::fromStdString(p.toString("x.yaml"));
  return lines.join(" | ");
}

}  // namespace

class TestConfig : public QObject {
  Q_OBJECT
private slots:
  void differingKeysListsOnlyWhatDiffers() {
    ExperimentConfig a;
    a.students.push_back(StudentConfig{"lstm"});
    a.students[0].model.arch = Arch::Lstm;  // the resolved YAML writes hidden for recurrent models
    ExperimentConfig b = a;
    b.distill.temperature = 4.0;
    b.students[0].model.hidden = 96;
    ExperimentConfig c = b;
    c.generate.prompts = {"KING:"};
    const auto diff = differingKeys({experimentToYaml(a), experimentToYaml(b), experimentToYaml(c)});
    std::string listed;
    for (const auto& d : diff) listed += d.key + " ";
    QVERIFY2(diff.size() == 3, listed.c_str());
    QCOMPARE(diff[0].key, std::string("students.0.hidden"));
    QCOMPARE(diff[0].values, (std::vector<std::string>{"0", "96", "96"}));
    QCOMPARE(diff[1].key, std::string("distill.temperature"));
    QCOMPARE(diff[2].key, std::string("generate.prompts"));
    QVERIFY(differingKeys({experimentToYaml(a), experimentToYaml(a)}).empty());
    // A key one run lacks, and a text that is no YAML mapping.
    const auto partial = differingKeys({"train: {lr: 0.1}\n", "train: {lr: 0.1, steps: 5}\n", "[: bad"});
    QCOMPARE(partial.size(), size_t(2));
    QCOMPARE(partial[1].values, (std::vector<std::string>{"(absent)", "5", "(absent)"}));
  }

  void emptyFileGivesDefaults() {
    const auto r = parse("");
    QVERIFY2(r.ok(), qPrintable(problems(r)));
    QCOMPARE(r.config.train.steps, 2000);
    QCOMPARE(r.config.data.block_size, 64);
    QCOMPARE(r.config.distill.loss, DistillLoss::Kl);
    QVERIFY(QString::fromStdString(r.config.data.corpus).endsWith("tinyshakespeare.txt"));
  }

  void readsEverySection() {
    const auto r = parse(R"(
name: t
data: {corpus: c.txt, block_size: 32, val_fraction: 0.2}
teacher: {arch: transformer, layers: 2, heads: 2, embd: 32}
students:
  - {name: small, arch: gru, embd: 16, hidden: 24}
distill: {temperature: 3, alpha: 0.25}
train: {steps: 7, batch_size: 4, lr: 0.01, eval_interval: 3}
generate: {prompts: ["A", "B"], max_new_tokens: 5, top_k: 0}
)");
    QVERIFY2(r.ok(), qPrintable(problems(r)));
    QCOMPARE(r.config.data.corpus, std::string("/experiments/c.txt"));
    QCOMPARE(r.config.students.size(), size_t(1));
    QCOMPARE(r.config.students[0].model.arch, Arch::Gru);
    QCOMPARE(r.config.students[0].model.hidden, 24);
    QCOMPARE(r.config.distill.temperature, 3.0);
    QCOMPARE(r.config.generate.prompts.size(), size_t(2));
  }

  void problemsNameKeyLineAndColumn_data() {
    QTest::addColumn<QString>("yaml");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unknown key") << "train:\n  stepz: 5\n"
                                 << "x.yaml:2:3: train.stepz: unknown key";
    QTest::newRow("wrong type") << "train:\n  steps: many\n"
                                << "x.yaml:2:10: train.steps: expected an integer";
    QTest::newRow("out of range") << "distill:\n  alpha: 1.5\n"
                                  << "x.yaml:2:10: distill.alpha: must be in [0, 1]";
    QTest::newRow("bad choice") << "students:\n  - name: s\n    arch: cnn\n"
                                << "x.yaml:3:11: students.0.arch: must be one of";
    QTest::newRow("syntax error") << "train:\n  steps: [1, 2\n"
                                  << "x.yaml:3:1: (syntax)";
    QTest::newRow("section not a map") << "train: 5\n"
                                       << "x.yaml:1:8: train: expected a mapping";
    QTest::newRow("bad regime") << "distill:\n  regime: online\n"
                                << "x.yaml:2:11: distill.regime: must be one of word, sequence, on_policy";
    QTest::newRow("layer map not a list") << "distill:\n  layer_map: 2\n"
                                          << "x.yaml:2:14: distill.layer_map: expected a list of integers";
    QTest::newRow("layer map entry") << "distill:\n  layer_map: [1, x]\n"
                                     << "x.yaml:2:18: distill.layer_map.1: expected an integer";
    QTest::newRow("heads divide embd") << "teacher:\n  heads: 3\n"
                                       << "x.yaml:2:10: teacher.heads: must divide embd";
    // A shared experiment must not choose where files land: names become folder and file names.
    const QString rule = "may use only letters A-Z a-z, digits 0-9, '_', '-' and '.'";
    QTest::newRow("name with parent folders") << "name: ../../escaped\n"
                                              << "x.yaml:1:7: name: " + rule;
    QTest::newRow("absolute name") << "name: /tmp/escaped\n"
                                   << "x.yaml:1:7: name: " + rule;
    QTest::newRow("name ..") << "name: ..\n"
                             << "x.yaml:1:7: name: " + rule;
    QTest::newRow("hidden name") << "name: .hidden\n"
                                 << "x.yaml:1:7: name: " + rule;
    QTest::newRow("name with a control character") << "name: \"a\\tb\"\n"
                                                   << "x.yaml:1:7: name: " + rule;
    QTest::newRow("student name with a slash") << "students:\n  - name: a/../../b\n"
                                               << "x.yaml:2:11: students.0.name: " + rule;
    QTest::newRow("student name ..") << "students:\n  - name: ..\n"
                                     << "x.yaml:2:11: students.0.name: " + rule;
  }
  void problemsNameKeyLineAndColumn() {
    QFETCH(QString, yaml);
    QFETCH(QString, expected);
    const auto r = parse(yaml.toStdString());
    QVERIFY(!r.ok());
    QVERIFY2(problems(r).startsWith(expected), qPrintable(problems(r)));
  }

  void safeNamesAreAccepted() {
    QVERIFY2(parse("name: my_run-2.v1\nstudents:\n  - name: Small.GRU-1\n").ok(), "");
  }

  void everyProblemIsReported() {
    const auto r = parse("train:\n  steps: x\n  lr: y\nbogus: 1\n");
    QCOMPARE(static_cast<int>(r.problems.size()), 3);
  }

  void overridesApplyOnTop() {
    const auto r =
        parse("train: {steps: 100}\nstudents: [{name: a, embd: 32}]\n",
              {"train.steps=30", "students.0.embd=16", "data.corpus=other.txt", "distill.alpha=0.9"});
    QVERIFY2(r.ok(), qPrintable(problems(r)));
    QCOMPARE(r.config.train.steps, 30);
    QCOMPARE(r.config.students[0].model.embd, 16);
    QCOMPARE(r.config.distill.alpha, 0.9);
    // A path given on the command line is relative to the working directory, not the file.
    QVERIFY(!QString::fromStdString(r.config.data.corpus).startsWith("/experiments"));
  }

  void badOverrideIsReported() {
    const auto r = parse("", {"train.steps=lots"});
    QVERIFY(!r.ok());
    QVERIFY2(problems(r).contains("train.steps: expected an integer, got 'lots' (from --set train.steps)"),
             qPrintable(problems(r)));
  }

  void resolvedYamlRoundTrips() {
    auto first =
        parse("students: [{name: a, arch: lstm, embd: 8, hidden: 12}]\ngenerate: {prompts: [\"x:\\n\"]}\n");
    QVERIFY(first.ok());
    const auto yaml = experimentToYaml(first.config);
    const auto second = parse(yaml);
    QVERIFY2(second.ok(), qPrintable(problems(second)));
    QCOMPARE(experimentToYaml(second.config), yaml);
    QCOMPARE(second.config.generate.prompts.front(), std::string("x:\n"));
  }

  void studentsCanOverrideDistillation() {
    const auto r = parse(
        "distill: {loss: kl, temperature: 3}\n"
        "students:\n"
        "  - {name: a}\n"
        "  - {name: b, scratch_twin: false, init_seed: 5, distill: {loss: jsd, beta: 0.2}}\n");
    QVERIFY2(r.ok(), qPrintable(problems(r)));
    QVERIFY(!r.config.students[0].distill);
    QVERIFY(r.config.students[0].scratch_twin);
    const auto& own = *r.config.students[1].distill;
    QCOMPARE(own.loss, DistillLoss::Jsd);
    QCOMPARE(own.beta, 0.2);
    QCOMPARE(own.temperature, 3.0);  // inherited from the global section
    QVERIFY(!r.config.students[1].scratch_twin);
    QCOMPARE(r.config.students[1].init_seed, 5);
    const auto again = parse(experimentToYaml(r.config));
    QVERIFY2(again.ok(), qPrintable(problems(again)));
    QCOMPARE(experimentToYaml(again.config), experimentToYaml(r.config));
  }

  void methodKeysRoundTrip() {
    const auto r = parse(
        "students:\n"
        "  - {name: a, distill: {regime: on_policy, on_policy_fraction: 0.25, sample_temperature: 0.7}}\n"
        "  - {name: b, layers: 2, distill: {hidden_loss: mse, attention_weight: 0.3, layer_map: [2, 4]}}\n"
        "  - {name: c, distill: {regime: sequence, sequence_count: 100, sequence_path: s.bin}}\n");
    QVERIFY2(r.ok(), qPrintable(problems(r)));
    QCOMPARE(r.config.students[0].distill->on_policy_fraction, 0.25);
    QCOMPARE(r.config.students[1].distill->layer_map, (std::vector<int>{2, 4}));
    QVERIFY(QString::fromStdString(r.config.students[2].distill->sequence_path).endsWith("/s.bin"));
    const auto again = parse(experimentToYaml(r.config));
    QVERIFY2(again.ok(), qPrintable(problems(again)));
    QCOMPARE(experimentToYaml(again.config), experimentToYaml(r.config));
  }

  void pretrainedTeacherRules_data() {
    QTest::addColumn<QString>("yaml");
    QTest::addColumn<QString>("expected");  // empty: valid
    QTest::newRow("hf with its tokenizer") << "teacher: {hf: m}\ndata: {tokenizer: teacher}"
                                           << "";
    QTest::newRow("hf with a tokenizer path") << "teacher: {hf: m}\ndata: {tokenizer: tok}"
                                              << "";
    QTest::newRow("hf with char ids") << "teacher: {hf: m}"
                                      << "data.tokenizer: an imported teacher";
    QTest::newRow("teacher tokenizer without hf") << "data: {tokenizer: teacher}"
                                                  << "teacher.hf is not set";
    QTest::newRow("hf and checkpoint") << "teacher: {hf: m, checkpoint: t.pt}\ndata: {tokenizer: teacher}"
                                       << "not both";
    QTest::newRow("init from an untrained teacher")
        << "students: [{name: s, init_from_teacher: true}]"
        << "students.0.init_from_teacher: needs a pretrained teacher";
    QTest::newRow("llama student") << "students: [{name: s, arch: llama, heads: 4, kv_heads: 2, embd: 64}]"
                                   << "";
    QTest::newRow("kv_heads not dividing")
        << "students: [{name: s, arch: llama, heads: 4, kv_heads: 3, embd: 64}]"
        << "students.0.kv_heads: must divide heads";
    QTest::newRow("kv_heads on a transformer") << "students: [{name: s, heads: 4, kv_heads: 2, embd: 64}]"
                                               << "students.0.kv_heads: applies to arch llama only";
  }
  void pretrainedTeacherRules() {
    QFETCH(QString, yaml);
    QFETCH(QString, expected);
    const auto r = parse(yaml.toStdString());
    if (expected.isEmpty()) {
      QVERIFY2(r.ok(), qPrintable(problems(r)));
    } else {
      QVERIFY2(problems(r).contains(expected), qPrintable(problems(r)));
    }
  }

  void pretrainedPathsResolveAgainstTheFile() {
    const auto r = parse("teacher: {hf: models/gpt2}\ndata: {tokenizer: tok/bpe}");
    QCOMPARE(r.config.teacher.hf, std::string("/experiments/models/gpt2"));
    QCOMPARE(r.config.data.tokenizer, std::string("/experiments/tok/bpe"));
    QCOMPARE(parse("data: {tokenizer: char}").config.data.tokenizer, std::string("char"));
  }

  void featureLossesNeedTransformersAndAFittingLayerMap_data() {
    QTest::addColumn<QString>("yaml");
    QTest::addColumn<QString>("expected");
    QTest::newRow("recurrent student")
        << "students: [{name: r, arch: lstm, distill: {hidden_loss: mse}}]"
        << "students.0.distill.hidden_loss: feature losses need a transformer student";
    QTest::newRow("global section") << "distill: {attention_weight: 1}\nstudents: [{name: r, arch: gru}]"
                                    << "distill.hidden_loss: feature losses need a transformer student";
    QTest::newRow("map length")
        << "students: [{name: s, layers: 2, distill: {hidden_loss: mse, layer_map: [1]}}]"
        << "students.0.distill.layer_map: needs one teacher layer per student layer (2), got 1";
    QTest::newRow("map range") << "teacher: {layers: 4}\nstudents: [{name: s, layers: 1, distill: "
                                  "{hidden_loss: mse, layer_map: [5]}}]"
                               << "students.0.distill.layer_map.0: must be a teacher layer in [1, 4]";
    QTest::newRow("cache") << "distill: {cache_top_k: 8, hidden_loss: cosine}"
                           << "distill.cache_top_k: feature losses need the teacher online";
    QTest::newRow("prefix") << "data: {block_size: 8}\ndistill: {regime: on_policy, prefix_tokens: 8}"
                            << "distill.prefix_tokens: must be below data.block_size (8)";
  }
  void featureLossesNeedTransformersAndAFittingLayerMap() {
    QFETCH(QString, yaml);
    QFETCH(QString, expected);
    const auto r = parse(yaml.toStdString());
    QVERIFY(!r.ok());
    QVERIFY2(problems(r).contains(expected), qPrintable(problems(r)));
  }

  // Rules across students, refused by validation before anything trains: one test per rule, each
  // naming the differing student's key and line.
  void studentsReadingTheLogitCacheShareItsSettings_data() {
    QTest::addColumn<QString>("yaml");
    QTest::addColumn<QString>("expected");
    QTest::newRow("top-k")
        << "students:\n  - {name: a, distill: {cache_top_k: 8}}\n  - {name: b, distill: {cache_top_k: 16}}\n"
        << "x.yaml:3:38: students.1.distill.cache_top_k: students reading the teacher's logit cache share "
           "one, so they must agree on cache_top_k: 16 here, 8 for students.0 (a)";
    QTest::newRow("temperature")
        << "distill: {cache_top_k: 8}\nstudents:\n  - {name: a}\n  - {name: b, distill: {temperature: 4}}\n"
        << "x.yaml:4:38: students.1.distill.temperature: students reading the teacher's logit cache";
    QTest::newRow("equal settings pass")
        << "distill: {cache_top_k: 8}\nstudents: [{name: a}, {name: b, distill: {alpha: 0.9}}]\n"
        << "";
  }
  void studentsReadingTheLogitCacheShareItsSettings() { expectProblem(); }

  void sequenceLevelStudentsShareOneSet_data() {
    QTest::addColumn<QString>("yaml");
    QTest::addColumn<QString>("expected");
    const QString two =
        "students:\n  - {name: a, distill: {regime: sequence}}\n  - {name: b, distill: {regime: sequence, "
        "%1}}\n";
    QTest::newRow("count") << two.arg("sequence_count: 10")
                           << "x.yaml:3:59: students.1.distill.sequence_count: students trained "
                              "on the teacher's sequences (regime: sequence) share one, so "
                              "they must agree on sequence_count: 10 here, 2000 for students.0 (a)";
    QTest::newRow("prefix") << two.arg("prefix_tokens: 4")
                            << "students.1.distill.prefix_tokens: students trained";
    QTest::newRow("sampling temperature")
        << two.arg("sample_temperature: 0.5") << "students.1.distill.sample_temperature";
    QTest::newRow("sampling top-k") << two.arg("sample_top_k: 5") << "students.1.distill.sample_top_k";
    QTest::newRow("word-level neighbours are free")
        << two.arg("alpha: 0.3") + "  - {name: c, distill: {prefix_tokens: 2}}\n"
        << "";
  }
  void sequenceLevelStudentsShareOneSet() { expectProblem(); }

  void repeatsRules_data() {
    QTest::addColumn<QString>("yaml");
    QTest::addColumn<QString>("expected");
    QTest::newRow("five repeats") << "train: {repeats: 5, repeat_teacher: true}\n"
                                  << "";
    QTest::newRow("zero repeats") << "train: {repeats: 0}\n"
                                  << "train.repeats: must be in [1, 1000]";
    QTest::newRow("data-parallel") << "train: {repeats: 3, processes: 2}\n"
                                   << "train.repeats: data-parallel runs train once";
    QTest::newRow("pretrained teacher retrained")
        << "teacher: {checkpoint: t.pt}\ntrain: {repeats: 2, repeat_teacher: true}\n"
        << "train.repeat_teacher: retrains the teacher in every repeat";
  }
  void repeatsRules() { expectProblem(); }

  void ensembleRules_data() {
    QTest::addColumn<QString>("yaml");
    QTest::addColumn<QString>("expected");
    const QString two = "teachers:\n  - {name: a}\n  - {name: b, arch: gru}\n";
    QTest::newRow("two teachers, student of one") << two + "students: [{name: s, distill: {teacher: b}}]\n"
                                                  << "";
    QTest::newRow("both sections") << "teacher: {layers: 2}\n" + two
                                   << "teachers: set either `teacher` (one) or `teachers`";
    QTest::newRow("duplicate names") << "teachers: [{name: a}, {name: a}]\n"
                                     << "x.yaml:1:30: teachers.1.name: duplicate teacher name 'a'";
    QTest::newRow("weight") << "teachers: [{name: a, weight: 0}, {name: b}]\n"
                            << "teachers.0.weight: must be > 0";
    QTest::newRow("member shape") << "teachers: [{name: a, heads: 3}, {name: b}]\n"
                                  << "teachers.0.heads: must divide embd";
    QTest::newRow("unknown member") << two + "students: [{name: s, distill: {teacher: c}}]\n"
                                    << "students.0.distill.teacher: names no member of teachers ('c')";
    QTest::newRow("member without ensemble") << "distill: {teacher: a}\n"
                                             << "distill.teacher: picks a member of an ensemble";
    QTest::newRow("logit cache") << two + "students: [{name: s, distill: {cache_top_k: 8}}]\n"
                                 << "students.0.distill.cache_top_k: the logit cache with an ensemble";
    QTest::newRow("sequence-level") << two + "distill: {regime: sequence}\n"
                                    << "distill.regime: sequence with an ensemble of teachers";
    QTest::newRow("features") << two + "distill: {hidden_loss: mse}\n"
                              << "distill.hidden_loss: feature losses with an ensemble";
    QTest::newRow("init from teacher") << "teachers: [{name: a, checkpoint: t.pt}, {name: b}]\nstudents: "
                                          "[{name: s, init_from_teacher: true}]\n"
                                       << "students.0.init_from_teacher: copies one teacher's layers";
    QTest::newRow("data-parallel") << two + "train: {processes: 2}\n"
                                   << "train.processes: an ensemble of teachers trains on one process";
    QTest::newRow("student named like a teacher") << "students: [{name: teacher-x}]\n"
                                                  << "students.0.name: names starting with 'teacher'";
  }
  void ensembleRules() { expectProblem(); }

  // A student with its own tokenizer: only the losses that need no shared vocabulary, each
  // refusal naming both tokenizers.
  void studentTokenizerRules_data() {
    QTest::addColumn<QString>("yaml");
    QTest::addColumn<QString>("expected");
    const QString bpe = "data: {tokenizer: /tok/bpe}\n";
    QTest::newRow("uld") << bpe + "students: [{name: s, tokenizer: char, distill: {loss: uld}}]\n"
                         << "";
    QTest::newRow("text-level sequences")
        << bpe + "students: [{name: s, tokenizer: char, distill: {regime: sequence, alpha: 0}}]\n"
        << "";
    QTest::newRow("the run's own tokenizer named") << bpe + "students: [{name: s, tokenizer: /tok/bpe}]\n"
                                                   << "";
    QTest::newRow("kl across vocabularies")
        << bpe + "students: [{name: s, tokenizer: char}]\n"
        << "distill.loss: student 's' reads tokenizer char, the teacher /tok/bpe: kl compares distributions "
           "over one vocabulary; use distill.loss: uld, or regime: sequence with alpha: 0";
    QTest::newRow("sequences with a soft term")
        << bpe + "students: [{name: s, tokenizer: char, distill: {regime: sequence, alpha: 0.5}}]\n"
        << "students.0.distill.alpha: student 's' reads tokenizer char, the teacher /tok/bpe: sequence-level";
    QTest::newRow("on-policy")
        << bpe + "students: [{name: s, tokenizer: char, distill: {loss: uld, regime: on_policy}}]\n"
        << "students.0.distill.regime: student 's' reads tokenizer char";
    QTest::newRow("logit cache")
        << bpe + "students: [{name: s, tokenizer: char, distill: {loss: uld, cache_top_k: 4}}]\n"
        << "students.0.distill.cache_top_k: the logit cache supports loss kl only";
  }
  void studentTokenizerRules() { expectProblem(); }

  // The resolved config.yaml writes an ensemble as `teachers:` and reads back the same.
  void ensembleRoundTrips() {
    const auto first = parse(
        "teachers:\n  - {name: big, layers: 3, weight: 2}\n  - {name: rnn, arch: gru, "
        "hidden: 64}\ndistill: {ensemble: mean_logit}\n");
    QVERIFY2(first.ok(), qPrintable(problems(first)));
    QCOMPARE(first.config.teachers.size(), size_t(2));
    QCOMPARE(first.config.teacher.model.layers, 3);  // the first member is also "the" teacher
    const std::string yaml = experimentToYaml(first.config);
    QVERIFY(yaml.find("teachers:") != std::string::npos && yaml.find("\nteacher:") == std::string::npos);
    const auto second = parse(yaml);
    QVERIFY2(second.ok(), qPrintable(problems(second)));
    QCOMPARE(experimentToYaml(second.config), yaml);
    QCOMPARE(second.config.teachers[1].name, std::string("rnn"));
    QCOMPARE(second.config.teachers[0].weight, 2.0);
    QVERIFY(second.config.distill.ensemble == Ensemble::MeanLogit);
  }

  // experiments/README.md's key table is generated from the schema; a stale one fails here.
  void readmeKeyTableIsTheSchema() {
    std::ifstream in(DISTILL_PROJECT_DIR "/experiments/README.md");
    std::stringstream text;
    text << in.rdbuf();
    const std::string readme = text.str();
    const std::string begin = "<!-- keys:begin (generated by scripts/update_key_table.sh) -->\n";
    const auto from = readme.find(begin);
    const auto to = readme.find("<!-- keys:end -->");
    QVERIFY2(from != std::string::npos && to != std::string::npos,
             "experiments/README.md lost its key-table markers");
    QVERIFY2(readme.substr(from + begin.size(), to - from - begin.size()) == schemaMarkdownTable(),
             "experiments/README.md's key table is stale: run scripts/update_key_table.sh");
  }

  // Every key the reader accepts is described, and every described key is accepted.
  void schemaDescribesEveryKey() {
    for (const auto& path : experimentKeyPaths()) {
      if (path == "students" || path == "teachers") continue;  // the lists themselves
      QVERIFY2(findSchemaKey(path) != nullptr, path.c_str());
    }
    QCOMPARE(findSchemaKey("students.7.distill.alpha")->path, std::string("distill.alpha"));
    QCOMPARE(findSchemaKey("train.lr")->allowed(), std::string("(0, 10)"));
    QVERIFY(findSchemaKey("train.lr")->live);
    QCOMPARE(findSchemaKey("students.0.layers")->defaultValue, std::string("2"));
    QCOMPARE(findSchemaKey("teacher.layers")->defaultValue, std::string("4"));
    QCOMPARE(findSchemaKey("teachers.3.weight")->path, std::string("teachers.N.weight"));
    QVERIFY(findSchemaKey("train.nope") == nullptr);
  }

  void studentDistillProblemsNameTheirKey() {
    const auto r = parse("students:\n  - {name: b, distill: {loss: jsd, beta: 2}}\n");
    QVERIFY(!r.ok());
    QVERIFY2(problems(r).contains("x.yaml:2:42: students.0.distill.beta: must be in [0, 1]"),
             qPrintable(problems(r)));
  }

  void missingFileIsAProblem() {
    const auto r = loadExperimentFile("/nonexistent/exp.yaml");
    QVERIFY(!r.ok());
    QVERIFY(problems(r).contains("no such file"));
  }

  // A reader never parses what cannot be an experiment: bounded before YAML sees it.
  void aHugeFileIsRefusedUnread() {
    QTemporaryDir dir;
    const QString path = dir.filePath("huge.yaml");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("generate:\n  prompts:\n");
    for (int i = 0; i < 80000; ++i) f.write("    - 'a prompt line'\n");
    f.close();
    QElapsedTimer clock;
    clock.start();
    const auto r = loadExperimentFile(path.toStdString());
    QVERIFY2(problems(r).contains("larger than 1 MiB"), qPrintable(problems(r)));
    QVERIFY(clock.elapsed() < 1000);
  }

  void aChangedValueIsPatchedWhereItStands() {
    const std::string text =
        "# tuned by hand\n"
        "name: mine\n"
        "students:\n"
        "  - name: s   # the small one\n"
        "    layers: 2\n"
        "train:\n"
        "  lr: 1.0e-3  # keep\n"
        "  steps: 300\n";
    const auto before = parse(text);
    QVERIFY2(before.ok(), qPrintable(problems(before)));
    auto after = before.config;
    after.train.steps = 500;
    after.students[0].model.layers = 3;
    const auto patched = patchExperimentYaml(text, "/experiments", before.config, after);
    QVERIFY(patched.has_value());
    std::string expected = text;
    expected.replace(expected.find("steps: 300"), 10, "steps: 500");
    expected.replace(expected.find("layers: 2"), 9, "layers: 3");
    QCOMPARE(QString::fromStdString(*patched), QString::fromStdString(expected));
  }

  void aQuotedStringIsReplacedWholeAndQuotedAsNeeded() {
    const std::string text = "name: 'my-run'\ngenerate:\n  prompts:\n    - \"ROMEO:\"\n";
    const auto before = parse(text);
    QVERIFY(before.ok());
    auto after = before.config;
    after.name = "your-run";
    after.generate.prompts = {"JULIET: # not a comment"};
    const auto patched = patchExperimentYaml(text, "/experiments", before.config, after);
    QVERIFY(patched.has_value());
    const auto reread = parse(*patched);
    QCOMPARE(reread.config.name, std::string("your-run"));
    QCOMPARE(reread.config.generate.prompts.front(), std::string("JULIET: # not a comment"));
  }

  void aChangeWithNoPlaceInTheTextIsRefused() {
    const std::string text = "name: mine\nstudents:\n  - name: s\ntrain: {steps: 300}\n";
    const auto before = parse(text);
    QVERIFY(before.ok());
    auto unnamed = before.config;
    unnamed.distill.temperature = 7.0;  // the file never named distill.temperature
    QVERIFY(!patchExperimentYaml(text, "/experiments", before.config, unnamed).has_value());
    auto added = before.config;
    added.students.push_back(added.students.front());
    added.students.back().name = "t";
    QVERIFY(!patchExperimentYaml(text, "/experiments", before.config, added).has_value());
    auto flow = before.config;
    flow.train.steps = 5;  // inside a flow map: left to a full rewrite
    QVERIFY(!patchExperimentYaml(text, "/experiments", before.config, flow).has_value());
    // Nothing changed: the text comes back as it is.
    QCOMPARE(*patchExperimentYaml(text, "/experiments", before.config, before.config), text);
  }

private:
  /// The row's yaml gives exactly the expected problem (a prefix of it), or none when it is empty.
  void expectProblem() {
    QFETCH(QString, yaml);
    QFETCH(QString, expected);
    const auto r = parse(yaml.toStdString());
    if (expected.isEmpty()) {
      QVERIFY2(r.ok(), qPrintable(problems(r)));
      return;
    }
    QCOMPARE(r.problems.size(), size_t(1));
    QVERIFY2(problems(r).contains(expected), qPrintable(problems(r)));
  }
};

QTEST_APPLESS_MAIN(TestConfig)
#include "tst_config.moc"
