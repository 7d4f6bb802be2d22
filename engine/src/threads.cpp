// Thread policy. Debian's LibTorch runs matmuls through OpenBLAS, which has its own thread pool,
// and parallelises other ops with OpenMP (intra-op threads). Both pools busy at once oversubscribe
// the cores. Measured on 2 cores, teacher training (4x128, block 64, batch 12), tokens/s:
//   BLAS 1 + intra-op 1: 6054   BLAS 1 + intra-op 2: 6097
//   BLAS 2 + intra-op 1: 7677   BLAS 2 + intra-op 2: 2710 (oversubscribed)
// Matmuls dominate, so BLAS gets the threads and LibTorch's own ops run on one.

#include <dlfcn.h>

#include <ATen/Parallel.h>

#include <thread>

#include "distill/experiment.h"

namespace distill {

int configureThreads(int requested) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = requested > 0 ? requested : cores;
  // OpenBLAS reads OPENBLAS_NUM_THREADS when it loads, before main(); set it through its API.
  using SetThreads = void (*)(int);
  if (auto* set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set(threads);
    if (at::get_num_threads() != 1) at::set_num_threads(1);
  } else if (at::get_num_threads() != threads) {
    at::set_num_threads(threads);  // another BLAS (MKL, CUDA builds): LibTorch drives the threads
  }
  return threads;
}

}  // namespace distill
