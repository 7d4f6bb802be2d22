#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <vector>

namespace distill {

/// Chooses and applies the thread counts (see threads.cpp); returns the intra-op count.
int configureThreads(int requested);

/// OpenBLAS's thread count for a scope (no-op with another BLAS). Independent small models train
/// faster side by side on one BLAS thread each than one after another on all of them.
class BlasThreadsScope {
public:
  explicit BlasThreadsScope(int threads);
  ~BlasThreadsScope();
  BlasThreadsScope(const BlasThreadsScope&) = delete;
  BlasThreadsScope& operator=(const BlasThreadsScope&) = delete;

private:
  int m_previous = 0;
};

/// Runs job(0..count-1) on up to `workers` threads (the caller's included), each job on one
/// thread with single-threaded ops. Returns, per job, the exception it threw (or null).
std::vector<std::exception_ptr> runSideBySide(size_t count, int workers,
                                              const std::function<void(size_t)>& job);

}  // namespace distill
