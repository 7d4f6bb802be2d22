#!/usr/bin/env bash
# The GPU check, on a machine with an NVIDIA GPU and PyTorch 2.x with CUDA in its python3 (no Qt
# needed: the workbench is left out). Results go under OUTDIR: gpu_check.md (the table) and a log
# per step. Stage what such a machine lacks first, here: scripts/gpu_deps.sh (→ .device-deps/).
#   scripts/gpu_check.sh OUTDIR
# 1. builds the engine and the CLI against that python's LibTorch (build-gpu/);
# 2. a 50-step experiment on CUDA in fp32 against the same run on the CPU: every logged training
#    loss within 1e-3; then in bf16 (final validation losses within 0.05 of fp32's);
# 3. the CUDA-trained teacher generates on the CPU (checkpoints are device-independent);
# 4. `distill bench --config nanogpt --device cuda` in fp32 and bf16 beside the Python peer (eager
#    fp32, eager bf16, torch.compile bf16).
# Two-process NCCL runs are not wired up yet (data-parallel runs use Gloo on the CPU).
# Without a GPU it builds, runs the CPU halves and says what it skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: scripts/gpu_check.sh OUTDIR" >&2; exit 2; }
out=$(realpath -m "$1")
mkdir -p "$out"
python=${PYTHON:-python3}
deps=$PWD/.device-deps
peer=${PEER:-$deps/peers/ref_distill.py}
[ -f "$peer" ] || peer=../shared/peers/ref_distill.py
report=$out/gpu_check.md
start=$(date +%s)
note() { echo "$*" | tee -a "$report"; }
elapsed() { echo "$(($(date +%s) - start)) s"; }

gpus=$(nvidia-smi -L 2> /dev/null | grep -c GPU || true)
note "# GPU check, $(date -u +%Y-%m-%dT%H:%MZ)"
note ""
note "- GPUs: ${gpus:-0} ($(nvidia-smi --query-gpu=name --format=csv,noheader 2> /dev/null | head -1 || echo none))"
note "- PyTorch: $($python -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda)')"

# 1. Build: the python's LibTorch, staged libraries where the machine has none.
torch_cmake=$($python -c 'import torch; print(torch.utils.cmake_prefix_path)')
prefix="$(dirname "$(dirname "$torch_cmake")");$torch_cmake"
cmake_args=(-DCMAKE_BUILD_TYPE=Release -DDISTILL_BUILD_UI=OFF -DDISTILL_BUILD_TESTS=OFF)
if [ -d "$deps" ]; then
  prefix="$prefix;$deps"
  cmake_args+=(-DOPENSSL_ROOT_DIR="$deps" -DOPENSSL_USE_STATIC_LIBS=TRUE)
fi
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
if ! { cmake -S . -B build-gpu "${generator[@]}" "${cmake_args[@]}" -DCMAKE_PREFIX_PATH="$prefix" &&
  cmake --build build-gpu -j "$(nproc)" --target distill; } > "$out/build.log" 2>&1; then
  note "- build: FAILED (build.log)"
  tail -30 "$out/build.log"
  exit 1
fi
distill=$PWD/build-gpu/app/distill
note "- build: $($distill --version | head -1), $(elapsed)"

# 2. The same short experiment on the CPU and on CUDA.
exp=$out/check.yaml
cat > "$exp" << YAML
name: gpu-check
data: {corpus: $PWD/resources/data/tinyshakespeare.txt, block_size: 64}
teacher: {layers: 2, heads: 4, embd: 128}
students:
  - {name: tf, arch: transformer, layers: 1, heads: 4, embd: 64}
train: {steps: 50, batch_size: 16, eval_interval: 50, eval_batches: 4, log_interval: 1, warmup_steps: 10}
generate: {prompts: ["ROMEO:"], max_new_tokens: 40}
YAML
run_on() {  # run_on NAME DEVICE PRECISION
  if "$distill" run "$exp" --out "$out/run-$1" --set train.device="$2" --set train.precision="$3" \
    > "$out/run-$1.log" 2>&1; then
    echo ok
  else
    echo "FAILED (run-$1.log)"
  fi
}
note "- run on the CPU, fp32: $(run_on cpu cpu fp32)"
if [ "${gpus:-0}" -gt 0 ]; then
  note "- run on cuda, fp32: $(run_on cuda cuda fp32)"
  note "- run on cuda, bf16: $(run_on cuda-bf16 cuda bf16)"
  $python - "$out" << 'PY' | tee -a "$report"
import json, sys
out = sys.argv[1]
def losses(run):
    rows = [json.loads(l) for l in open(f"{out}/run-{run}/metrics.jsonl")]
    return {(r["model"], r["step"], r["name"]): r["value"] for r in rows}
cpu, cuda, bf16 = losses("cpu"), losses("cuda"), losses("cuda-bf16")
train = [k for k in cpu if k[2] == "train/loss" and k in cuda]
worst = max(abs(cpu[k] - cuda[k]) for k in train)
print(f"- fp32, cuda vs CPU: {len(train)} training losses, largest difference {worst:.2e} "
      f"({'within' if worst < 1e-3 else 'OUTSIDE'} 1e-3)")
vals = [k for k in cpu if k[2] == "val/loss" and k in bf16]
worst = max(abs(cuda[k] - bf16[k]) for k in vals)
print(f"- bf16 vs fp32 on cuda: final validation losses differ by at most {worst:.3f} "
      f"({'within' if worst < 0.05 else 'OUTSIDE'} 0.05)")
summary = json.load(open(f"{out}/run-cuda-bf16/summary.json"))["compute"]
print(f"- summary.json of the bf16 run: {summary['device']} {summary['precision']}, "
      f"peak {summary['peak_memory_bytes'] / 2**20:.0f} MiB ({summary['peak_memory_of']})")
PY
  # 3. Trained on the GPU, generated on the CPU.
  if CUDA_VISIBLE_DEVICES= "$distill" generate "$out/run-cuda" --model teacher --prompt "ROMEO:" \
    --max-new-tokens 40 > "$out/generate-on-cpu.txt" 2>&1; then
    note "- the CUDA-trained teacher generates on the CPU: ok ($(head -c 60 "$out/generate-on-cpu.txt" | tr '\n' ' '))"
  else
    note "- the CUDA-trained teacher generates on the CPU: FAILED (generate-on-cpu.txt)"
  fi
else
  note "- cuda runs, bf16 and generation on the CPU: skipped (no GPU visible)"
fi
note "- runs done: $(elapsed)"

# 4. Throughput beside the Python peer (nanogpt shapes: teacher 6×384, block 256, batch 64).
if [ "${gpus:-0}" -gt 0 ]; then
  steps=${GPU_CHECK_STEPS:-50}
  {
    for precision in fp32 bf16; do
      "$distill" bench --config nanogpt --device cuda --precision "$precision" --steps "$steps"
    done
    if [ -f "$peer" ]; then
      $python "$peer" --config nanogpt --device cuda --steps "$steps"
      $python "$peer" --config nanogpt --device cuda --steps "$steps" --dtype bf16
      $python "$peer" --config nanogpt --device cuda --steps "$steps" --dtype bf16 --compile
    fi
  } 2> "$out/bench.err" | grep '^{' > "$out/bench.jsonl" || true
  $python - "$out/bench.jsonl" << 'PY' | tee -a "$report"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("\n| who | dtype | compile | teacher train tok/s | student KD tok/s |\n| --- | --- | --- | ---: | ---: |")
for r in rows:
    who = r.get("engine", f"PyTorch {r.get('torch')}")
    print(f"| {who} | {r.get('dtype')} | {r.get('compile', False)} | {r['teacher_train_tok_s']:,.0f} | "
          f"{r['student_kd_tok_s']:,.0f} |")
PY
else
  note "- bench on cuda: skipped (no GPU visible)"
fi
note ""
note "total: $(elapsed)"
