#!/usr/bin/env bash
# Mutation fuzzing for a bounded time: every reader of outside files (experiment YAML,
# checkpoints, resumable state, safetensors, tokenizer files) gets SECONDS of fresh random
# mutants. Any crash, hang or exception other than a clear EngineError fails.
#   scripts/fuzz.sh [SECONDS_PER_TARGET=20] [BUILD_DIR=build]
# Each target's seed is printed before it runs; replay with DISTILL_FUZZ_SEED=<seed> scripts/fuzz.sh.
# An input that takes over DISTILL_FUZZ_INPUT_SECONDS (default 10) fails and is kept as *.hang.
# With BUILD_DIR=build-asan (scripts/sanitize.sh) the mutants also run under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
build="${2:-build}"
binary="$build/tests/tst_fuzz_readers"
if [[ ! -x "$binary" ]]; then
  echo "fuzz: $binary is missing; build first (./scripts/test.sh or scripts/sanitize.sh)" >&2
  exit 2
fi
targets=(experimentYaml checkpoints "resumeState:state.json" "resumeState:state.pt" safetensorsHeaders
         "bpeFiles:tokenizer.json" "bpeFiles:vocab.json" "bpeFiles:merges.txt" embeddedTokenizers)
echo "fuzz: ${#targets[@]} targets × ${seconds} s ($binary)"
export DISTILL_FUZZ_SECONDS="$seconds" QT_QPA_PLATFORM=offscreen OMP_NUM_THREADS=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
failed=0
replay_seed="${DISTILL_FUZZ_SEED:-}"
for target in "${targets[@]}"; do
  # The seed is chosen (and printed) here, before the target runs: a crash or a hang keeps it.
  seed="${replay_seed:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
  echo "fuzz: $target seed $seed (replay: DISTILL_FUZZ_SEED=$seed scripts/fuzz.sh $seconds $build)"
  # A hang counts as a failure: each input has its own deadline (the binary's watchdog saves it),
  # and each target its time plus a margin.
  if DISTILL_FUZZ_SEED="$seed" timeout --signal=KILL $((seconds * 2 + 60)) "$binary" "$target" 2>&1 |
    grep --line-buffered -E "QINFO|FAIL|Loc:|Totals"; then
    echo "fuzz: $target ok"
  else
    echo "fuzz: $target FAILED" >&2
    failed=1
  fi
done
exit "$failed"
