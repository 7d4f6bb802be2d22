// Thread policy. Debian's LibTorch runs matmuls through OpenBLAS, which has its own thread pool,
// and parallelises other ops with OpenMP (intra-op threads). Both pools busy at once oversubscribe
// the cores. Measured on 2 cores, teacher training (4x128, block 64, batch 12), tokens/s:
//   BLAS 1 + intra-op 1: 6054   BLAS 1 + intra-op 2: 6097
//   BLAS 2 + intra-op 1: 7677   BLAS 2 + intra-op 2: 2710 (oversubscribed)
// Matmuls dominate, so BLAS gets the threads and LibTorch's own ops run on one. Students, being
// several independent small models, instead train side by side, one thread each (runSideBySide).

#include "util/threads.h"

#include <dlfcn.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <ATen/Parallel.h>

#include <atomic>
#include <thread>

namespace distill {

namespace {

using SetThreads = void (*)(int);
using GetThreads = int (*)();

// Looked up once: dlsym over every loaded library showed in profiles when done every step.
SetThreads openblasSetThreads() {
  static const auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  return set;
}

GetThreads openblasGetThreads() {
  static const auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get;
}

/// Training frees and reallocates the same large activation buffers every step. glibc serves
/// blocks over 128 KiB with mmap and gives them back at free, so every step page-faults its
/// activations in again (15 % of a teacher step's time was the kernel clearing pages). Keeping
/// freed memory in the heap removes that: teacher steps ran ~1.2x faster on 2 cores.
void keepFreedMemoryInTheHeap() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 256 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
#endif
}

}  // namespace

int configureThreads(int requested) {
  keepFreedMemoryInTheHeap();
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = requested > 0 ? requested : cores;
  // OpenBLAS reads OPENBLAS_NUM_THREADS when it loads, before main(); set it through its API.
  if (auto* set = openblasSetThreads()) {
    set(threads);
    if (at::get_num_threads() != 1) at::set_num_threads(1);
  } else if (at::get_num_threads() != threads) {
    at::set_num_threads(threads);  // another BLAS (MKL, CUDA builds): LibTorch drives the threads
  }
  return threads;
}

BlasThreadsScope::BlasThreadsScope(int threads) {
  auto* set = openblasSetThreads();
  auto* get = openblasGetThreads();
  if (set && get) {
    m_previous = get();
    set(threads);
    return;
  }
  // Another BLAS (MKL in PyPI's wheel) runs on LibTorch's OpenMP threads, whose count is the
  // calling thread's: left at the process's, each of two side-by-side chunks started a team of
  // one thread per core (profile: a quarter of a step spinning in libgomp, the second core
  // adding nothing).
  m_previousIntraOp = at::get_num_threads();
  if (m_previousIntraOp != threads) at::set_num_threads(threads);
}

BlasThreadsScope::~BlasThreadsScope() {
  if (m_previous > 0) openblasSetThreads()(m_previous);
  if (m_previousIntraOp > 0 && at::get_num_threads() != m_previousIntraOp)
    at::set_num_threads(m_previousIntraOp);
}

std::vector<std::exception_ptr> runSideBySide(size_t count, int workers,
                                              const std::function<void(size_t)>& job) {
  std::vector<std::exception_ptr> failures(count);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < count; i = next++) {
      try {
        job(i);
      } catch (...) {
        failures[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> helpers;
  const size_t extra = std::min(count, static_cast<size_t>(std::max(1, workers))) - (count > 0 ? 1 : 0);
  for (size_t w = 0; w < extra; ++w) {
    helpers.emplace_back([&] {
      // OpenMP settings are per thread: a new thread would default to one op thread per core.
      at::set_num_threads(1);
      work();
    });
  }
  work();
  for (auto& t : helpers) t.join();
  return failures;
}

}  // namespace distill
