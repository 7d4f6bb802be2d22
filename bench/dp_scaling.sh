#!/usr/bin/env bash
# Data-parallel throughput: the default experiment, shortened, trained by 1 and by N processes on
# this machine (RUNS interleaved pairs), then min / median / max of the training tokens per second.
#   bench/dp_scaling.sh [--nproc 2] [--runs 3] [--steps 200]
# Tokens are global (all ranks); the teacher's figure counts only its training steps, the
# students' one their whole phase (all six models stepping in lockstep, evaluation excluded).
# Automatic thread counts give each process its share of the cores.
set -euo pipefail
cd "$(dirname "$0")/.."
nproc=2 runs=3 steps=200
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nproc) nproc=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -x build/app/distill ]] || { echo "build/app/distill missing: run ./scripts/test.sh first" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ((i = 1; i <= runs; i++)); do
  for n in 1 "$nproc"; do
    build/app/distill run experiments/shakespeare_char.yaml --nproc "$n" --out "$out/run-$n-$i" \
      --set train.steps="$steps" --set train.student_steps="$steps" --set train.eval_interval=100000 \
      --set train.checkpoint_interval=0 --set generate.max_new_tokens=8 > "$out/log-$n-$i.txt"
    echo "run $i, $n process(es): done" >&2
  done
done
/usr/bin/python3 - "$out" "$runs" "$nproc" <<'PY'
import json, re, statistics, sys
d, runs, nproc = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def figures(n):
    teacher, students = [], []
    for i in range(1, runs + 1):
        s = json.load(open(f"{d}/run-{n}-{i}/summary.json"))
        teacher.append(s["models"]["teacher"]["train_tokens_per_s"])
        last = [l for l in open(f"{d}/log-{n}-{i}.txt") if l.startswith("[students]")][-1]
        students.append(float(re.search(r"\| (\d+) tok/s", last).group(1)))
    return sorted(teacher), sorted(students)
fmt = lambda v: f"{v[0]:.0f} / {statistics.median(v):.0f} / {v[-1]:.0f}"
one, many = figures("1"), figures(nproc)
print(f"| figure | 1 process min / median / max | {nproc} processes min / median / max | ratio of medians |")
print("| --- | --- | --- | --- |")
for k, name in enumerate(("teacher train tok/s", "students phase tok/s")):
    print(f"| {name} | {fmt(one[k])} | {fmt(many[k])} | {statistics.median(many[k]) / statistics.median(one[k]):.2f}x |")
PY
