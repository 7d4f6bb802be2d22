#pragma once

#include <QHash>
#include <QWidget>

#include "background_task.h"
#include "distill/config.h"
#include "distill/model_info.h"
#include "distill/pretrained.h"

class QHBoxLayout;
class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QPlainTextEdit;
class QCheckBox;

namespace distill {

class DistillMethodEditor;
class TeacherEnsembleEditor;

/// Edits one model's shape; shows its parameter count.
class ModelSpecEditor : public QWidget {
  Q_OBJECT
public:
  explicit ModelSpecEditor(QWidget* parent = nullptr);
  void setSpec(const ModelSpec& spec);
  ModelSpec spec() const;
  void setInfo(const QString& text);
  /// What the model's shape comes from: its own fields (Free), a pretrained file (Pretrained: all
  /// fields greyed) or the teacher with its own depth (TeacherWithOwnDepth: layers and dropout only).
  enum class ShapeSource { Free, Pretrained, TeacherWithOwnDepth };
  void setShapeSource(ShapeSource source);
  /// Widgets by config key suffix ("arch", "layers", ...) for inline problem marks.
  QWidget* field(const QString& key) const;

signals:
  void changed();

private:
  void updateEnabled();

  QComboBox* m_arch;
  QSpinBox* m_layers;
  QSpinBox* m_heads;
  QSpinBox* m_kvHeads;
  QSpinBox* m_embd;
  QSpinBox* m_hidden;
  QDoubleSpinBox* m_dropout;
  QCheckBox* m_bias;
  QCheckBox* m_tie;
  QLabel* m_info;
  ModelSpec m_shown;  // keeps what the editor has no field for (rope_theta, norm_eps, activation)
  ShapeSource m_source = ShapeSource::Free;
};

/// Every hyperparameter of an experiment, with live parameter counts, compression ratios, corpus
/// facts and inline problems. Emits changed() on every edit the user makes.
class ExperimentForm : public QWidget {
  Q_OBJECT
public:
  explicit ExperimentForm(QWidget* parent = nullptr);

  /// Shows `config` without emitting changed().
  void setConfig(const ExperimentConfig& config);
  ExperimentConfig config() const;
  /// Problems of the current values ("key: message"); empty when Start may go.
  QStringList problems() const { return m_problems; }
  /// While a run goes only the settings that can change mid-run stay editable.
  void setRunning(bool running);
  /// The YAML tab holds text with this problem (empty: none): shown first among the problems,
  /// and the form is locked so that no edit of it can replace the user's text.
  void setYamlProblem(const QString& problem);
  bool isLocked() const { return !m_yamlProblem.isEmpty(); }
  /// Where the corpus facts tokenize the corpus (the runs' token cache, so a run then opens it
  /// instead of tokenizing again); empty: a temporary cache.
  void setTokenCacheFolder(const QString& folder) { m_tokenCacheFolder = folder; }

  QTabWidget* studentTabs() const { return m_students; }
  void addStudent();
  void removeCurrentStudent();
  void duplicateCurrentStudent();

  /// Asks to sweep the field of `key` ("distill.alpha", "students.0.hidden"): sweepRequested with
  /// its current value. The fields' context menus ("Sweep…") call it.
  void sweepField(const QString& key);

signals:
  void changed();
  void validityChanged(bool valid);
  void sweepRequested(const QString& key, const QString& currentValue);
  /// setConfig showed a whole new experiment (changed() is for the user's edits).
  void configShown();

private:
  void buildStudentPage(const StudentConfig& student);
  void emitChanged();
  // The form's groups, each built by its own function (the constructor stacks them).
  QGroupBox* buildLiveBox(QWidget* content);
  QGroupBox* buildDataBox(QWidget* content);
  QHBoxLayout* buildFormatRow(QWidget* parent);  ///< format choice and running text's JSON field
  QGroupBox* buildTeacherBox(QWidget* content);
  QGroupBox* buildStudentsBox(QWidget* content);
  QGroupBox* buildDistillBox(QWidget* content);
  QGroupBox* buildTrainBox(QWidget* content);
  QGroupBox* buildGenerateBox(QWidget* content);
  void connectAndNameFields();
  /// Sizes, corpus facts and problems of the current settings (after every edit).
  void refreshInfo();
  /// Reads the corpus on a background thread when its settings changed ("inspecting…" meanwhile);
  /// refreshInfo runs again when the facts arrive.
  void refreshCorpusFacts(const ExperimentConfig& c);
  void refreshPretrainedShape(const ExperimentConfig& c);
  void refreshModelSizes(const ExperimentConfig& c);
  void refreshProblems(const ExperimentConfig& c);
  void showStudentSize(int page, const StudentConfig& student, long long vocab, int blockSize,
                       long long teacherParams);
  void markProblems(const std::vector<ConfigProblem>& problems);
  void showProblems();
  QWidget* widgetForKey(const QString& key) const;

  bool m_loading = false;
  bool m_running = false;
  QWidget* m_content;  // everything below the problem banner (locked while the YAML is invalid)
  QString m_yamlProblem;
  QString m_name;
  QLineEdit* m_corpus;
  QComboBox* m_tokenizer;
  QDoubleSpinBox* m_valFraction;
  QComboBox* m_valSplit;
  QComboBox* m_format;
  QLineEdit* m_textField;
  distill::DataConfig m_dataExtras;  // the data keys the form does not edit (examples' fields, ...)
  QSpinBox* m_blockSize;
  QLabel* m_corpusInfo;
  ModelSpecEditor* m_teacher;
  QLineEdit* m_teacherCheckpoint;
  QLineEdit* m_teacherHf;
  TeacherEnsembleEditor* m_ensemble;      // the teachers after the first, and how they combine
  QString m_pretrainedKey;                // the teacher.hf folder m_pretrained describes
  distill::PretrainedShape m_pretrained;  // parameters == 0: none, or unreadable (m_pretrainedError)
  QString m_pretrainedError;
  QTabWidget* m_students;
  QComboBox* m_loss;
  QDoubleSpinBox* m_temperature;
  QDoubleSpinBox* m_alpha;
  QDoubleSpinBox* m_beta;
  QDoubleSpinBox* m_skew;
  QComboBox* m_temperatureSchedule;
  QDoubleSpinBox* m_temperatureEnd;
  QComboBox* m_alphaSchedule;
  QDoubleSpinBox* m_alphaEnd;
  QSpinBox* m_cacheTopK;
  QLineEdit* m_cachePath;
  DistillMethodEditor* m_method;
  DistillConfig m_distillExtras;  // the global section's keys the form does not edit
  QSpinBox* m_steps;
  QSpinBox* m_studentSteps;
  QSpinBox* m_batch;
  QDoubleSpinBox* m_lr;
  QDoubleSpinBox* m_minLr;
  QSpinBox* m_warmup;
  QDoubleSpinBox* m_weightDecay;
  QDoubleSpinBox* m_gradClip;
  QDoubleSpinBox* m_beta1;
  QDoubleSpinBox* m_beta2;
  QSpinBox* m_logInterval;
  QSpinBox* m_checkpointInterval;
  QSpinBox* m_evalInterval;
  QSpinBox* m_evalBatches;
  QSpinBox* m_seed;
  QSpinBox* m_threads;
  QSpinBox* m_processes;
  QComboBox* m_device;
  QComboBox* m_precision;
  QSpinBox* m_repeats;
  QCheckBox* m_repeatTeacher;
  QPlainTextEdit* m_prompts;
  QSpinBox* m_maxTokens;
  QDoubleSpinBox* m_genTemperature;
  QSpinBox* m_topK;
  QDoubleSpinBox* m_topP;
  QSpinBox* m_genSeed;
  QLabel* m_problemLabel;
  QStringList m_problems;
  QList<QWidget*> m_marked;
  QHash<QWidget*, StudentConfig> m_studentExtras;  // per student page: what the form does not edit
  // Corpus facts are read once per (path, split) and cached: the form redraws on every keystroke.
  QString m_corpusKey;
  CorpusInfo m_corpusFacts;
  QString m_corpusError;
  bool m_inspectingCorpus = false;  // m_corpusKey's facts are being read
  QString m_corpusProgress;         // "tokenizing 42 %" while a big corpus is read
  QString m_tokenCacheFolder;
  // Last member: destroyed first, so a running inspection is cancelled and joined before the rest.
  SupersededTasks m_corpusInspections;
};

}  // namespace distill
