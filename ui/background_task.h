#pragma once

// Work that must not run on the GUI thread (a run, sampling, tokenizer training, reading a corpus
// or many run folders): it runs on a thread of its own, and its result comes back to the GUI
// thread as a queued call — only if the receiver still exists then. Every widget that works in the
// background goes through this file.

#include <QCoreApplication>
#include <QMetaObject>
#include <QPointer>

#include <thread>
#include <utility>

namespace distill {

namespace detail {

/// Calls done(result) on the GUI thread if `guard` still points at a live object.
template <class Done, class Result>
void deliver(QPointer<QObject> guard, Done done, Result result) {
  // The application object outlives every widget: the call lands on its (the GUI) thread.
  QMetaObject::invokeMethod(
      QCoreApplication::instance(),
      [guard, done = std::move(done), result = std::move(result)]() mutable {
        if (guard) done(std::move(result));
      },
      Qt::QueuedConnection);
}

}  // namespace detail

/// Fire and forget: runs `work()` on a new thread, then `done(result)` on the GUI thread if
/// `receiver` is alive. The thread is detached: `work` must own (capture by value) what it touches.
template <class Work, class Done>
void runInBackground(QObject* receiver, Work work, Done done) {
  QPointer<QObject> guard(receiver);
  std::thread([guard, work = std::move(work), done = std::move(done)]() mutable {
    detail::deliver(guard, std::move(done), work());
  }).detach();
}

/// Work its owner waits for (before the next one, when closing): one at a time. `work` may touch
/// what the owner holds for as long as the task runs, since the owner's destructor waits.
class BackgroundTask {
public:
  BackgroundTask() = default;
  BackgroundTask(const BackgroundTask&) = delete;
  BackgroundTask& operator=(const BackgroundTask&) = delete;
  ~BackgroundTask() { wait(); }

  /// Started and not yet waited for (its `done` may still be on its way).
  bool busy() const { return m_thread.joinable(); }

  /// Runs `work()` on a new thread, then `done(result)` on the GUI thread if `receiver` is alive.
  /// `done` should call wait() first. The caller checks busy() before.
  template <class Work, class Done>
  void start(QObject* receiver, Work work, Done done) {
    QPointer<QObject> guard(receiver);
    m_thread = std::thread([guard, work = std::move(work), done = std::move(done)]() mutable {
      detail::deliver(guard, std::move(done), work());
    });
  }

  /// Blocks until the work has returned (its `done` is then queued, or dropped).
  void wait() {
    if (m_thread.joinable()) m_thread.join();
  }

private:
  std::thread m_thread;
};

}  // namespace distill
