#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <vector>

namespace distill {

/// Chooses and applies the thread counts (see threads.cpp); returns the intra-op count.
int configureThreads(int requested);

/// The BLAS thread count for a scope: OpenBLAS's (Debian's LibTorch), or with another BLAS (MKL in
/// PyPI's wheel) the calling thread's LibTorch/OpenMP count, which that BLAS follows. Independent
/// small models train faster side by side on one BLAS thread each than one after another on all.
class BlasThreadsScope {
public:
  explicit BlasThreadsScope(int threads);
  ~BlasThreadsScope();
  BlasThreadsScope(const BlasThreadsScope&) = delete;
  BlasThreadsScope& operator=(const BlasThreadsScope&) = delete;

private:
  int m_previous = 0;         ///< OpenBLAS's count before (0: not changed)
  int m_previousIntraOp = 0;  ///< the thread's LibTorch count before (0: not changed)
};

/// Runs job(0..count-1) on up to `workers` threads (the caller's included), each job on one
/// thread with single-threaded ops. Returns, per job, the exception it threw (or null).
std::vector<std::exception_ptr> runSideBySide(size_t count, int workers,
                                              const std::function<void(size_t)>& job);

}  // namespace distill
