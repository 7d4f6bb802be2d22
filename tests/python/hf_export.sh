#!/usr/bin/env bash
# CTest: students and an imported teacher exported by `distill export-hf`, loaded by transformers
# (in the project's .venv: scripts/python_env.sh) — a GPT-2-layout transformer, a Llama student
# and the imported GPT-2 teacher with a byte-level BPE tokenizer, and a transformer with the char
# tokenizer. A recurrent student is refused with the reason. DISTILL_TEST_PYTHON: another Python.
set -euo pipefail
DISTILL=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${DISTILL_TEST_PYTHON:-$ROOT/.venv/bin/python}
if [ ! -x "$PYTHON" ]; then
  echo "no $PYTHON: run scripts/python_env.sh (scripts/test.sh does)" >&2
  exit 1
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cat > "$TMP/bpe.yaml" <<YAML
name: export_bpe
data: {corpus: $ROOT/resources/data/tinyshakespeare.txt, tokenizer: $ROOT/tests/fixtures/bpe512, block_size: 32}
teacher: {hf: $ROOT/tests/fixtures/gpt2-tiny}
students:
  - {name: gpt, arch: transformer, layers: 1, heads: 2, embd: 32}
  - {name: llama, arch: llama, layers: 2, heads: 4, kv_heads: 2, embd: 32}
  - {name: rnn, arch: gru, embd: 16, hidden: 16, scratch_twin: false}
train: {steps: 0, student_steps: 30, batch_size: 4, eval_interval: 30, eval_batches: 1, threads: 1}
generate: {prompts: ["ROMEO:"], max_new_tokens: 4}
YAML
cat > "$TMP/char.yaml" <<YAML
name: export_char
data: {corpus: $ROOT/resources/data/tinyshakespeare.txt, block_size: 32}
teacher: {layers: 1, heads: 2, embd: 32}
students: [{name: gpt, arch: transformer, layers: 1, heads: 2, embd: 16, scratch_twin: false}]
train: {steps: 20, batch_size: 4, eval_interval: 20, eval_batches: 1, threads: 1}
generate: {prompts: ["ROMEO:"], max_new_tokens: 4}
YAML
for run in bpe char; do
  "$DISTILL" run "$TMP/$run.yaml" --out "$TMP/$run" > "$TMP/$run.log" 2>&1 || { cat "$TMP/$run.log"; exit 1; }
done
pairs=()
for model in bpe/teacher bpe/gpt-kd bpe/llama-kd char/gpt-kd; do
  checkpoint="$TMP/${model%%/*}/checkpoints/${model#*/}.pt"
  "$DISTILL" export-hf "$checkpoint" --out "$TMP/hf/$model"
  pairs+=("$TMP/hf/$model" "$checkpoint")
done
if "$DISTILL" export-hf "$TMP/bpe/checkpoints/rnn-kd.pt" --out "$TMP/hf/rnn" 2> "$TMP/refused"; then
  echo "a GRU student was exported" >&2
  exit 1
fi
grep -q "cannot be exported: transformers has no recurrent" "$TMP/refused" || { cat "$TMP/refused"; exit 1; }
"$PYTHON" "$ROOT/tests/python/check_hf_export.py" "$DISTILL" $'ROMEO:\nThou art' "${pairs[@]}"
