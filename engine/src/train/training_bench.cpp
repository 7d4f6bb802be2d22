// The peer's two timed loops, run through the engine's own model and trainer code (the same
// ModelTrainer::step a run uses), so the figure is what training really costs.

#include "distill/bench.h"

#include <chrono>
#include <functional>

#include "distill/errors.h"
#include "models/kv_cached_lm.h"
#include "models/model_factory.h"
#include "train/trainer.h"
#include "util/threads.h"

namespace distill {

namespace {

struct BenchShapes {
  int vocab, block, batch;
  ModelSpec teacher, student;
};

ModelSpec gpt(int layers, int heads, int embd) {
  ModelSpec spec;
  spec.arch = Arch::Transformer;
  spec.layers = layers;
  spec.heads = heads;
  spec.embd = embd;
  spec.bias = true;          // the peer's nn.Linear / nn.LayerNorm defaults
  spec.tie_weights = false;  // its head is a separate Linear without bias
  return spec;
}

BenchShapes shapesFor(const std::string& config) {
  if (config == "small") return {65, 64, 12, gpt(4, 4, 128), gpt(2, 2, 64)};
  if (config == "nanogpt") return {65, 256, 64, gpt(6, 6, 384), gpt(2, 4, 128)};
  // The compute-bound case: nanoGPT's widths at a batch a CPU gets through.
  if (config == "wide") return {65, 256, 16, gpt(6, 6, 384), gpt(2, 4, 128)};
  throw EngineError("bench: unknown config '" + config + "' (known: small, nanogpt, wide)");
}

/// Floating-point operations of one training token (forward and backward, 3× the forward): the
/// matmuls of every layer, 2·12·D² (qkv 3D², projection D², MLP 8D²), the head 2·D·V, and
/// attention's QKᵀ and A·V over the full block as computed, 2·2·T·D per layer.
double trainingFlopsPerToken(const ModelSpec& spec, int vocab, int block) {
  const double D = spec.embd, L = spec.layers;
  const double forward = 2.0 * (12.0 * L * D * D + D * vocab) + 4.0 * L * block * D;
  return 3.0 * forward;
}

/// The machine's float32 matmul rate through LibTorch on 2048² products: the better of one
/// product on all BLAS threads and `threads` products side by side on one thread each (how row
/// chunks use the cores), each timed 5 times, best kept: this VM's timings are noisy.
double matmulPeakGflops(const torch::Device& device, int threads) {
  const int64_t n = 2048;
  const double flops = 2.0 * n * n * n;
  const auto options = torch::TensorOptions().device(device);
  auto best = [&](int copies, const std::function<void()>& run) {
    run();  // warm-up
    double rate = 0.0;
    for (int i = 0; i < 5; ++i) {
      const auto start = std::chrono::steady_clock::now();
      run();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      rate = std::max(rate, copies * flops / seconds / 1e9);
    }
    return rate;
  };
  std::vector<torch::Tensor> a, b;
  for (int i = 0; i < std::max(1, threads); ++i) {
    a.push_back(torch::randn({n, n}, options));
    b.push_back(torch::randn({n, n}, options));
  }
  const double one = best(1, [&] { (void)torch::mm(a[0], b[0]).sum().item<float>(); });
  if (device.is_cuda() || threads <= 1) return one;
  const BlasThreadsScope oneBlasThreadEach(1);
  const double sideBySide = best(threads, [&] {
    runSideBySide(static_cast<size_t>(threads), threads,
                  [&](size_t i) { (void)torch::mm(a[i], b[i]).sum().item<float>(); });
  });
  return std::max(one, sideBySide);
}

/// The peer's optimiser: AdamW lr 1e-3 with PyTorch's defaults, no schedule, no clipping.
TrainConfig peerOptimizer() {
  TrainConfig train;
  train.lr = 1e-3;
  train.min_lr = 1e-3;
  train.warmup_steps = 0;
  train.weight_decay = 0.01;
  train.beta1 = 0.9;
  train.beta2 = 0.999;
  train.grad_clip = 0.0;
  return train;
}

template <class Step>
double tokensPerSecond(int steps, int64_t tokensPerStep, [[maybe_unused]] const torch::Device& device,
                       Step step) {
  for (int i = 0; i < 3; ++i) step();
  auto sync = [&] {
#if defined(TORCH_VERSION_MAJOR) && TORCH_VERSION_MAJOR >= 2
    if (device.is_cuda()) torch::cuda::synchronize();
#endif
  };
  sync();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  sync();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(steps) * static_cast<double>(tokensPerStep) / seconds;
}

}  // namespace

BenchResult runTrainingBench(const BenchOptions& options) {
  const auto shapes = shapesFor(options.config);
  if (options.device != "cpu" && options.device != "cuda")
    throw EngineError("bench: unknown device '" + options.device + "' (cpu or cuda)");
  if (options.device == "cuda" && !torch::cuda::is_available())
    throw EngineError("bench: --device cuda but this LibTorch sees no CUDA device");
  const torch::Device device(options.device == "cuda" ? torch::kCUDA : torch::kCPU);
  const auto precision = enumFromName<Precision>(options.precision);
  if (!precision)
    throw EngineError("bench: unknown precision '" + options.precision + "' (fp32, bf16 or fp16)");
  BenchResult result;
  result.config = options.config;
  result.device = options.device;
  result.precision = options.precision;
  result.attention = fusedAttentionAvailable() ? "sdpa" : "math";
  result.torchVersion = TORCH_VERSION;
  result.threads = configureThreads(options.threads);

  torch::manual_seed(0);
  auto teacher = makeModel(shapes.teacher, shapes.vocab, shapes.block);
  auto student = makeModel(shapes.student, shapes.vocab, shapes.block);
  teacher->to(device);
  student->to(device);
  result.teacherParams = teacher->parameterCount();
  result.studentParams = student->parameterCount();

  Batch batch;
  batch.x = torch::randint(0, shapes.vocab, {shapes.batch, shapes.block}, torch::kInt64).to(device);
  batch.y = torch::roll(batch.x, -1, 1);
  const int64_t tokensPerStep = static_cast<int64_t>(shapes.batch) * shapes.block;
  auto train = peerOptimizer();
  train.precision = *precision;
  const int totalSteps = options.steps + 3;

  ModelTrainer teacherTrainer("teacher", teacher, train, totalSteps);
  teacherTrainer.setParallelism(result.threads);
  result.teacherTrainTokensPerSecond =
      tokensPerSecond(options.steps, tokensPerStep, device, [&] { teacherTrainer.step(batch); });

  ModelTrainer studentTrainer("student", student, train, totalSteps);
  studentTrainer.setParallelism(result.threads);
  DistillConfig kd;  // forward KL at T=2, alpha 0.5, as the peer
  kd.temperature = 2.0;
  kd.alpha = 0.5;
  teacher->eval();
  result.studentKdTokensPerSecond = tokensPerSecond(options.steps, tokensPerStep, device, [&] {
    SoftTargets targets;
    targets.teacherLogits = forwardInChunks(*teacher, batch.x, result.threads, *precision);
    studentTrainer.step(batch, &targets, &kd);
  });
  result.teacherTrainGflops = result.teacherTrainTokensPerSecond *
                              trainingFlopsPerToken(shapes.teacher, shapes.vocab, shapes.block) / 1e9;
  result.matmulPeakGflops = matmulPeakGflops(device, result.threads);
  return result;
}

}  // namespace distill
