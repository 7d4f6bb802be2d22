// Tags and notes kept in a run folder (notes.json), and the runs list reading them.
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>

#include "distill/run_notes.h"

using namespace distill;

class TestRunNotes : public QObject {
  Q_OBJECT

private slots:
  void notesRoundTripThroughTheFolder() {
    QTemporaryDir dir;
    const std::string run = dir.path().toStdString();
    QVERIFY(readRunNotes(run).empty());
    RunNotes notes;
    notes.tags = {"baseline", "T=2"};
    notes.note = "first try\nwith a second line, \"quotes\"";
    writeRunNotes(run, notes);
    const RunNotes back = readRunNotes(run);
    QCOMPARE(back.tags, notes.tags);
    QCOMPARE(back.note, notes.note);
  }

  void damagedNotesReadAsEmpty() {
    QTemporaryDir dir;
    std::ofstream(dir.filePath("notes.json").toStdString()) << "{\"tags\": [1, \"ok\"], \"note\": 3";
    QVERIFY(readRunNotes(dir.path().toStdString()).empty());
    std::ofstream(dir.filePath("notes.json").toStdString()) << "{\"tags\": [1, \"ok\"], \"note\": 3}";
    QCOMPARE(readRunNotes(dir.path().toStdString()).tags, std::vector<std::string>{"ok"});
  }

  void tagsSplitAtCommasTrimmedWithoutRepeats() {
    QCOMPARE(parseTags(" baseline, lr-high ,,baseline,  "),
             (std::vector<std::string>{"baseline", "lr-high"}));
    QVERIFY(parseTags("  ").empty());
  }
};

QTEST_APPLESS_MAIN(TestRunNotes)
#include "tst_run_notes.moc"
