#!/usr/bin/env bash
# Many runs: a runs folder of N run folders (copies of one real run), K of them with a metrics.jsonl
# of 1M lines; times `distill runs` on it and the workbench's runs panel (refresh time, GUI stall).
#   bench/many_runs.sh [N=1000] [K=3] [BUILD=build]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
k="${2:-3}"
build="${3:-build}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One real (tiny) run to copy: its config.yaml, summary.json, checkpoints and logs.
"$build/app/distill" run experiments/smoke.yaml --out "$work/seed" --set train.steps=5 \
  --set train.student_steps=5 --set train.eval_batches=1 >/dev/null 2>&1
mkdir -p "$work/runs"
for i in $(seq 1 "$n"); do cp -r "$work/seed" "$(printf '%s/runs/run-%05d' "$work" "$i")"; done
# 1M metric lines (~80 MB) in K of them: a long run's log, never read by the listing.
line=$(head -1 "$work/seed/metrics.jsonl")
for i in $(seq 1 "$k"); do { yes "$line" || true; } | head -n 1000000 >"$(printf '%s/runs/run-%05d' "$work" "$i")/metrics.jsonl"; done
echo "many_runs: $n run folders, $k with 1M-line metrics.jsonl ($(du -sh "$work/runs" | cut -f1))"

sync
for attempt in 1 2 3; do
  /usr/bin/time -f "distill runs: %e s wall, %M KB max resident" "$build/app/distill" runs "$work/runs" >/dev/null 2>"$work/time.txt" || true
  tail -1 "$work/time.txt"
done
xvfb-run -a -s "-screen 0 1500x940x24" "$build/bench/bench_runs_listing" "$work/runs" --refreshes 5
