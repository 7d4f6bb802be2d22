#pragma once

// Work that must not run on the GUI thread (reading many files, tokenizing, sampling): it runs on
// its own thread, and its result comes back to the GUI thread as a queued call — only if the
// receiver still exists then.

#include <QCoreApplication>
#include <QMetaObject>
#include <QPointer>

#include <thread>
#include <utility>

namespace distill {

/// Runs `work()` on a new thread, then `done(result)` on the GUI thread if `receiver` is alive.
/// The thread is detached: `work` must own (capture by value) everything it touches.
template <class Work, class Done>
void runInBackground(QObject* receiver, Work work, Done done) {
  QPointer<QObject> guard(receiver);
  std::thread([guard, work = std::move(work), done = std::move(done)]() mutable {
    auto result = work();
    // The application object outlives every widget: the call lands on its (the GUI) thread.
    QMetaObject::invokeMethod(
        QCoreApplication::instance(),
        [guard, done = std::move(done), result = std::move(result)]() mutable {
          if (guard) done(std::move(result));
        },
        Qt::QueuedConnection);
  }).detach();
}

}  // namespace distill
