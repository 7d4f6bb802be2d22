#!/usr/bin/env bash
# CTest: a tiny run's TensorBoard event file, read back by PyPI's tensorboard (in the project's
# .venv, made by scripts/python_env.sh), as the run wrote it and as `distill export-tb` rewrites it.
set -euo pipefail
DISTILL=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=$ROOT/.venv/bin/python
if [ ! -x "$PYTHON" ]; then
  echo "no $PYTHON: run scripts/python_env.sh (scripts/test.sh does)" >&2
  exit 1
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$DISTILL" run "$ROOT/experiments/smoke.yaml" --out "$TMP/run" --threads 1 \
  --set train.steps=30 --set train.eval_interval=10 --set train.lr=0.003 > "$TMP/log" 2>&1 || { cat "$TMP/log"; exit 1; }
CHECK=("$ROOT/tests/python/check_tensorboard.py" "$TMP/run" train.lr=0.003 name=smoke teacher.arch=transformer
       students.1.name=gru)
"$PYTHON" "${CHECK[@]}"
# An older run: its event file written afterwards reads back the same.
rm "$TMP"/run/events.out.tfevents.*
"$DISTILL" export-tb "$TMP/run"
"$PYTHON" "${CHECK[@]}"
