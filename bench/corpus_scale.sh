#!/usr/bin/env bash
# Corpora of any size: tinyshakespeare repeated to SIZE_MB (100 and 1000 by default), tokenized by
# `distill prepare` with each tokenizer (char, the bpe512 fixture, a SentencePiece model trained
# here), then the default experiment trained on it for a few steps twice (the second run opens the
# cache). Prints one Markdown row per (corpus, tokenizer): tokenization time, throughput and peak
# resident memory; then per corpus the training runs' peak memory and time to the first step.
#   bench/corpus_scale.sh [--sizes "100 1000"] [--tokenizers "char bpe sentencepiece"] [--steps 50]
# Needs SIZE_MB × 3 MB of free disk under $TMPDIR (corpus + uint16 caches).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="100 1000" tokenizers="char bpe sentencepiece" steps=50
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --tokenizers) tokenizers=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
distill=$PWD/build/app/distill
[[ -x $distill ]] || { echo "build/app/distill missing: run ./scripts/test.sh first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=resources/data/tinyshakespeare.txt

tokenizer_path() {
  case "$1" in
    char) echo char ;;
    bpe) echo "$PWD/tests/fixtures/bpe512" ;;
    sentencepiece)
      [[ -d $work/sp ]] || "$distill" train-tokenizer --kind sentencepiece --vocab-size 512 \
        --corpus "$corpus" --out "$work/sp" > /dev/null
      echo "$work/sp" ;;
  esac
}

# "<seconds> <peak RSS MB>" of a command (GNU time).
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > "$work/out.txt" 2> "$work/err.txt" \
    || { cat "$work/err.txt" >&2; exit 1; }
  awk '{printf "%s %.0f", $1, $2 / 1024}' "$work/time.txt"
}

echo "| corpus | tokenizer | tokens | tokenize (s) | MB/s | peak RSS tokenizing (MB) | cache (MB) |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
for size in $sizes; do
  big=$work/corpus-${size}mb.txt
  : > "$big"
  while (( $(stat -c %s "$big") < size * 1000000 )); do cat "$corpus" >> "$big"; done
  bytes=$(stat -c %s "$big")
  for tok in $tokenizers; do
    path=$(tokenizer_path "$tok")
    read -r seconds rss <<< "$(measure "$distill" prepare "$big" --tokenizer "$path" --out "$work/cache-$tok")"
    tokens=$(sed -n 's/.*-> \([0-9]*\) tokens.*/\1/p' "$work/out.txt")
    cache=$(du -m "$work/cache-$tok" | cut -f1)
    awk -v c="$size MB" -v t="$tok" -v n="$tokens" -v s="$seconds" -v b="$bytes" -v r="$rss" -v m="$cache" \
      'BEGIN {printf "| %s | %s | %\047d | %.1f | %.1f | %d | %d |\n", c, t, n, s, b / s / 1e6, r, m}'
    rm -rf "$work/cache-$tok"
  done
  rm -f "$big".tokens
done

echo
echo "| corpus | run | corpus ready in (s) | first teacher step after (s) | wall (s) | peak RSS (MB) |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
for size in $sizes; do
  big=$work/corpus-${size}mb.txt
  for run in first second; do
    # Runs from $work so that their runs root (and token cache) is $work/runs.
    (cd "$work" && /usr/bin/python3 - "$distill" "$OLDPWD/experiments/shakespeare_char.yaml" "$big" "$steps" "$run" "$size" <<'PY'
import subprocess, sys, time
distill, experiment, corpus, steps, run, size = sys.argv[1:]
command = ["/usr/bin/time", "-f", "%M", "-o", "rss.txt", distill, "run", experiment,
           "--set", f"data.corpus={corpus}", "--set", f"train.steps={steps}", "--set", f"train.student_steps={steps}",
           "--set", "train.eval_interval=100000", "--set", "train.eval_batches=2",
           "--set", "train.checkpoint_interval=0", "--set", "generate.max_new_tokens=8"]
start = time.monotonic()
first = None
ready = "?"
with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as p:
    for line in p.stdout:
        if first is None and line.startswith("[teacher] step 1/"):
            first = time.monotonic() - start
        if line.startswith(("opened the token cache in", "tokenized the corpus in")):
            ready = line.split(" in ")[1].split()[0]
wall = time.monotonic() - start
if p.returncode != 0:
    sys.exit(f"the run failed ({p.returncode})")
rss = int(open("rss.txt").read().split()[-1]) / 1024
print(f"| {size} MB | {run} | {ready} | {first:.2f} | {wall:.1f} | {rss:.0f} |")
PY
    )
  done
  rm -rf "$work/runs" "$big"
done
