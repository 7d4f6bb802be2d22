#pragma once

// Work that must not run on the GUI thread (a run, sampling, tokenizer training, reading a corpus
// or many run folders): it runs on a thread of its own, and its result comes back to the GUI
// thread as a queued call — only if the receiver still exists then. Every widget that works in the
// background goes through this file.

#include <QCoreApplication>
#include <QMetaObject>
#include <QPointer>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

namespace distill {

namespace detail {

/// Calls done(result) on the GUI thread if `guard` still points at a live object.
template <class Done, class Result>
void deliver(QPointer<QObject> guard, Done done, Result result) {
  // The application object outlives every widget: the call lands on its (the GUI) thread. Work
  // that ends after the application is gone (the process exits) has no one left to tell.
  QCoreApplication* application = QCoreApplication::instance();
  if (!application) return;
  QMetaObject::invokeMethod(
      application,
      [guard, done = std::move(done), result = std::move(result)]() mutable {
        if (guard) done(std::move(result));
      },
      Qt::QueuedConnection);
}

}  // namespace detail

/// From a background thread: runs `f()` on the GUI thread if `receiver` is still alive then (the
/// progress of background work). Build any text inside `f`: tr() needs the application object.
template <class F>
void callOnGuiThread(QPointer<QObject> receiver, F f) {
  detail::deliver(
      std::move(receiver), [f = std::move(f)](int) mutable { f(); }, 0);
}

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

/// Background work that a newer request makes obsolete (facts of settings the user has changed
/// since): start() cancels the tasks still running, and the destructor cancels and waits for all,
/// so none outlives its owner or the process's static objects. `work(cancelled)` polls the flag
/// and returns early once it is set; a cancelled task's `done` is never called.
class SupersededTasks {
public:
  SupersededTasks() = default;
  SupersededTasks(const SupersededTasks&) = delete;
  SupersededTasks& operator=(const SupersededTasks&) = delete;
  ~SupersededTasks() {
    cancelAll();
    for (auto& task : m_tasks) task.thread.join();
  }

  template <class Work, class Done>
  void start(QObject* receiver, Work work, Done done) {
    cancelAll();
    reapFinished();
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    auto finished = std::make_shared<std::atomic<bool>>(false);
    QPointer<QObject> guard(receiver);
    std::thread thread(
        [guard, cancelled, finished, work = std::move(work), done = std::move(done)]() mutable {
          auto result = work(*cancelled);
          if (!cancelled->load()) detail::deliver(guard, std::move(done), std::move(result));
          finished->store(true);
        });
    m_tasks.push_back({std::move(thread), cancelled, finished});
  }

private:
  struct Task {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> cancelled, finished;
  };
  void cancelAll() {
    for (auto& task : m_tasks) task.cancelled->store(true);
  }
  void reapFinished() {  // joining a finished thread does not block
    for (auto& task : m_tasks)
      if (task.finished->load()) task.thread.join();
    m_tasks.erase(
        std::remove_if(m_tasks.begin(), m_tasks.end(), [](const Task& t) { return !t.thread.joinable(); }),
        m_tasks.end());
  }
  std::vector<Task> m_tasks;
};

}  // namespace distill
