#!/usr/bin/env bash
# Training throughput against the Python peer on the same shapes and threads: RUNS interleaved
# rounds (ours, peer, ours, peer, ...), then min / median / max of each figure.
#   bench/peer_compare.sh [--libtorch debian|pypi] [--config small] [--threads 2] [--runs 5] [--steps 20]
# debian (default): build/app/distill (LibTorch 1.13) against /usr/bin/python3's PyTorch 1.13 eager.
# pypi: build-torch/app/distill (LibTorch 2.x) against the same wheel in .venv-torch, eager and
# torch.compile. The peer script is read from ../shared/peers (it is not part of this project).
set -euo pipefail
cd "$(dirname "$0")/.."
config=small threads=2 runs=5 steps=20 libtorch=debian
while [[ $# -gt 0 ]]; do
  case "$1" in
    --libtorch) libtorch=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
peer=${PEER:-../shared/peers/ref_distill.py}
case "$libtorch" in
  debian) distill=build/app/distill python=/usr/bin/python3 variants=(eager) ;;
  pypi) distill=build-torch/app/distill python=.venv-torch/bin/python variants=(eager compile) ;;
  *) echo "--libtorch debian or pypi" >&2; exit 2 ;;
esac
[[ -x $distill ]] || { echo "$distill missing: run ./scripts/test.sh first" >&2; exit 1; }
[[ -f $peer ]] || { echo "peer script $peer not found (set PEER=path)" >&2; exit 1; }

out=$(mktemp -d)
for ((i = 1; i <= runs; i++)); do
  $distill bench --config "$config" --threads "$threads" --steps "$steps" | tee -a "$out/ours.jsonl"
  for variant in "${variants[@]}"; do
    flag=()
    [ "$variant" = compile ] && flag=(--compile)
    # The peer's intra-op threads do the work; its OpenBLAS pool stays at one so they do not fight.
    OPENBLAS_NUM_THREADS=1 $python "$peer" --config "$config" --threads "$threads" --steps "$steps" "${flag[@]}" |
      tee -a "$out/peer-$variant.jsonl"
  done
done
python3 - "$out" "${variants[@]}" <<'PY'
import json, statistics, sys
d, variants = sys.argv[1], sys.argv[2:]
rows = {who: [json.loads(l) for l in open(f"{d}/{who}.jsonl")] for who in ["ours"] + [f"peer-{v}" for v in variants]}
fmt = lambda v: f"{v[0]:.0f} / {statistics.median(v):.0f} / {v[-1]:.0f}"
print()
print(f"ours: {rows['ours'][0]['engine']}; peer: PyTorch {rows['peer-eager'][0]['torch']}")
print("| figure | distill min / median / max | " + " | ".join(f"peer {v} min / median / max | ratio" for v in variants) + " |")
print("| --- | --- | " + " | ".join("--- | ---" for _ in variants) + " |")
for key in ("teacher_train_tok_s", "student_kd_tok_s"):
    a = sorted(r[key] for r in rows["ours"])
    cells = []
    for v in variants:
        b = sorted(r[key] for r in rows[f"peer-{v}"])
        cells.append(f"{fmt(b)} | {statistics.median(a) / statistics.median(b):.2f}x")
    print(f"| {key} | {fmt(a)} | " + " | ".join(cells) + " |")
PY
rm -rf "$out"
