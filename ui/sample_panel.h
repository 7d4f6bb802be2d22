#pragma once

#include <QHash>
#include <QWidget>
#include <atomic>
#include <memory>

#include "background_task.h"

#include "distill/generation.h"
#include "distill/observer.h"
#include "elided_label.h"
#include "model_colors.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGridLayout;
class QGroupBox;
class QHBoxLayout;
class QSplitter;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QVBoxLayout;

namespace distill {

class HeldOutAnswersView;
class TokenView;

/// What one model produced for the comparison, with the teacher's view of it.
struct ComparedSample {
  QString model;
  QString text;
  double tokensPerSecond = 0.0;
  std::vector<TokenScore> teacherScores;
  double teacherPerplexity = 0.0;
  double distinct2 = 0.0;
  double rougeLWithTeacher = 0.0;
  QString error;
};

/// Side-by-side samples: the teacher, each distilled student and its scratch twin continue the
/// same prompt on a background thread; below, the samples recorded during training by step.
class SamplePanel : public QWidget {
  Q_OBJECT
public:
  SamplePanel(ModelPalette* palette, QWidget* parent = nullptr);
  ~SamplePanel() override;

  /// The run whose checkpoints generate (teacher, <s>-kd, <s>-scratch).
  void setRunDirectory(const QString& dir);
  QString runDirectory() const { return m_runDir; }
  void setDefaults(const QString& prompt, const SamplingOptions& options);

  void addTrainingSample(const SampleRecord& sample);
  void setTrainingSamples(const std::vector<SampleRecord>& samples);

  /// Generates from every model of the run; results arrive with generationFinished().
  void generate();
  bool isGenerating() const { return m_worker.busy(); }
  /// The models shown, in the comparison's order (teacher, then the experiment's students).
  QList<QString> shownModels() const;
  TokenView* viewFor(const QString& model) const { return m_views.value(model); }
  QString statsFor(const QString& model) const;
  QLineEdit* promptEdit() const { return m_prompt; }
  /// Whether the teacher's pane is pinned outside the scrolling students' panes.
  bool teacherIsPinned() const;
  /// Prompt/response runs: the held-out prompts with every model's answer (hidden otherwise).
  HeldOutAnswersView* heldOutView() const { return m_heldOut; }
  bool isGreedy() const;

signals:
  void generationFinished();

private:
  void onResults(quint64 job, const std::vector<ComparedSample>& samples);
  void render();
  /// The models of the results shown, in their order.
  std::vector<std::string> shownNames() const;
  void refreshTrainingView();
  SamplingOptions options() const;
  void joinWorker();
  /// The repeat chosen (1 for a run without repeats).
  int currentRepeat() const;
  /// Adds `repeat` to the repeat choice (following it when the newest was chosen).
  void offerRepeat(int repeat);
  QHBoxLayout* buildControls();  ///< prompt, sampling settings, Generate
  QSplitter* buildPanes();       ///< the models' continuations above, training samples below
  QGroupBox* buildTrainingSamples(QWidget* parent);

  ModelPalette* m_palette;
  QString m_runDir;
  QLineEdit* m_prompt;
  QSpinBox* m_maxTokens;
  QCheckBox* m_greedy;
  QDoubleSpinBox* m_temperature;
  QSpinBox* m_topK;
  QDoubleSpinBox* m_topP;
  QSpinBox* m_seed;
  QCheckBox* m_onlyDifferences;
  QPushButton* m_generate;
  QComboBox* m_repeat;
  QLabel* m_status;
  ElidedLabel* m_source;       // which run Generate samples from
  QHBoxLayout* m_teacherSlot;  // the teacher's pane (an ensemble's, side by side), pinned above the students
  QWidget* m_panes;
  QGridLayout* m_grid;
  QHash<QString, TokenView*> m_views;
  QHash<QString, QLabel*> m_stats;
  std::vector<ComparedSample> m_results;

  HeldOutAnswersView* m_heldOut;

  QComboBox* m_trainingStep;
  QComboBox* m_trainingPrompt;
  QPlainTextEdit* m_trainingText;
  std::vector<SampleRecord> m_trainingSamples;

  std::atomic<bool> m_cancel{false};
  quint64 m_job = 0;
  BackgroundTask m_worker;  // last: destroyed (waited for) before m_cancel
};

}  // namespace distill
