#pragma once

// TensorBoard's event files, written by hand: TFRecord framing (length, masked CRC-32C of the
// length, the record, masked CRC-32C of the record) around `Event` protocol buffers encoded field
// by field (tensorboard/compat/proto/event.proto, summary.proto, plugins/hparams/*.proto). No
// protobuf library: the few messages are short and their field numbers are stable.
//
// A run folder's file holds every metric as a scalar (tag "<metric>/<model>", "/repeat-<n>" in a
// run with repeats), every sample as text ("samples/<model>"), and the experiment's settings
// through the HParams plugin's records in the same file as the scalars, so TensorBoard's HParams
// dashboard shows the run beside the user's other runs.

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "distill/observer.h"

namespace distill {

class TensorBoardLog {
public:
  /// Writes `runDir`'s event file anew from what the folder holds — config.yaml (the hparams),
  /// metrics.jsonl, samples.jsonl, and run.json's start for the wall times — removing an older
  /// file of ours, and keeps it open for appending. Throws EngineError when it cannot write.
  static std::unique_ptr<TensorBoardLog> rewrite(const std::string& runDir);

  void scalars(const std::vector<MetricPoint>& points);
  void text(const SampleRecord& sample);
  /// The HParams session's end: "completed" is a success, "running" stays open, others failed.
  void sessionEnd(const std::string& status);
  const std::string& path() const { return m_path; }

private:
  TensorBoardLog(std::string path, double startUnix);
  void write(const std::string& event);
  void flush();
  void hparams(const std::string& configYaml);

  std::string m_path;
  double m_startUnix;  // the run's start: event wall times are it plus the run's own seconds
  std::ofstream m_file;
};

/// The event files a run folder holds (ours and any other tool's): events.out.tfevents.*.
std::vector<std::string> eventFilesIn(const std::string& runDir);

}  // namespace distill
