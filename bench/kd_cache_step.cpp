// How much faster is a KD step when the teacher's top-k logits come from the cache instead of a
// teacher forward pass? Default-experiment shapes: teacher 4x4x128, student 2x4x64, block 64,
// batch 12, vocab 65, k = 16.
//   bench_kd_cache_step [--steps N] [--threads N]
// Prints one JSON line with ms per step for both and their ratio.

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "distill/experiment.h"
#include "kd/logit_cache.h"
#include "models/model_factory.h"
#include "train/trainer.h"
#include "util/threads.h"

using namespace distill;

int main(int argc, char** argv) {
  int steps = 60, threads = 0;
  for (int i = 1; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
  }
  threads = configureThreads(threads);
  const int64_t V = 65, T = 64, B = 12, k = 16;
  torch::manual_seed(0);
  ModelSpec teacherSpec;                                        // 4 x 4 x 128
  ModelSpec studentSpec = StudentConfig::defaultStudentSpec();  // 2 x 4 x 64
  auto teacher = makeModel(teacherSpec, V, T);
  teacher->eval();
  TrainConfig train;
  DistillConfig distill;
  std::vector<Batch> batches;
  for (int s = 0; s < steps; ++s) {
    auto x = torch::randint(0, V, {B, T}, torch::kInt64);
    batches.push_back({x, torch::roll(x, -1, 1)});
  }
  const auto path = (std::filesystem::temp_directory_path() / "bench_kd_cache.cache").string();
  {
    LogitCacheHeader h{static_cast<uint32_t>(V),
                       static_cast<uint32_t>(k),
                       static_cast<uint32_t>(T),
                       static_cast<uint32_t>(B),
                       static_cast<uint32_t>(steps),
                       static_cast<float>(distill.temperature),
                       0};
    LogitCacheWriter writer(path, h);
    torch::NoGradGuard noGrad;
    for (const auto& b : batches) writer.append(teacher->forward(b.x));
    writer.finish();
  }
  LogitCache cache(path);

  auto timeRun = [&](bool cached) {
    torch::manual_seed(1);
    ModelTrainer student("student", makeModel(studentSpec, V, T), train, steps);
    const int warmup = 5;
    std::chrono::steady_clock::time_point start;
    for (int s = 0; s < steps; ++s) {
      if (s == warmup) start = std::chrono::steady_clock::now();
      SoftTargets targets;
      if (cached) {
        cache.read(static_cast<uint32_t>(s), &targets.cachedIds, &targets.cachedLogProbs);
      } else {
        torch::NoGradGuard noGrad;
        targets.teacherLogits = teacher->forward(batches[s].x);
      }
      student.step(batches[s], &targets, &distill);
    }
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
           (steps - warmup);
  };
  const double online = timeRun(false);
  const double cached = timeRun(true);
  std::printf(
      "{\"bench\":\"kd_cache_step\",\"threads\":%d,\"steps\":%d,\"top_k\":%lld,\"online_ms_per_step\":%.2f,"
      "\"cached_ms_per_step\":%.2f,\"speedup\":%.2f}\n",
      threads, steps, static_cast<long long>(k), online, cached, online / cached);
  std::filesystem::remove(path);
  return 0;
}
