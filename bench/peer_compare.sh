#!/usr/bin/env bash
# Training throughput against the Python peer (PyTorch eager) on the same shapes and threads:
# RUNS interleaved pairs (ours, peer, ours, peer, ...), then min / median / max of each figure.
#   bench/peer_compare.sh [--config small] [--threads 2] [--runs 5] [--steps 20]
# Needs build/app/distill and /usr/bin/python3 with torch (apt-get install python3-torch); the
# peer script is read from ../shared/peers (it is not part of this project).
set -euo pipefail
cd "$(dirname "$0")/.."
config=small threads=2 runs=5 steps=20
while [[ $# -gt 0 ]]; do
  case "$1" in
    --config) config=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
peer=${PEER:-../shared/peers/ref_distill.py}
[[ -x build/app/distill ]] || { echo "build/app/distill missing: run ./scripts/test.sh first" >&2; exit 1; }
[[ -f $peer ]] || { echo "peer script $peer not found (set PEER=path)" >&2; exit 1; }

out=$(mktemp -d)
for ((i = 1; i <= runs; i++)); do
  build/app/distill bench --config "$config" --threads "$threads" --steps "$steps" | tee -a "$out/ours.jsonl"
  # The peer's intra-op threads do the work; its OpenBLAS pool stays at one so they do not fight.
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$peer" --config "$config" --threads "$threads" --steps "$steps" |
    tee -a "$out/peer.jsonl"
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
d = sys.argv[1]
rows = {who: [json.loads(l) for l in open(f"{d}/{who}.jsonl")] for who in ("ours", "peer")}
print()
print("| figure | distill min / median / max | peer min / median / max | ratio of medians |")
print("| --- | --- | --- | --- |")
for key in ("teacher_train_tok_s", "student_kd_tok_s"):
    a = sorted(r[key] for r in rows["ours"]); b = sorted(r[key] for r in rows["peer"])
    fmt = lambda v: f"{v[0]:.0f} / {statistics.median(v):.0f} / {v[-1]:.0f}"
    print(f"| {key} | {fmt(a)} | {fmt(b)} | {statistics.median(a) / statistics.median(b):.2f}x |")
PY
rm -rf "$out"
