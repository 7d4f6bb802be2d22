#!/usr/bin/env bash
# .venv-torch/: PyPI's torch wheel, the LibTorch 2.x a DISTILL_LIBTORCH=pypi build compiles against
# (about 4 GB downloaded, 6.7 GB installed). Never the system Python. Idempotent: installs only when
# scripts/torch-requirements.txt changed since the last install. Prints nothing else on success.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUIREMENTS=scripts/torch-requirements.txt
STAMP=.venv-torch/installed-requirements.txt
if [ -x .venv-torch/bin/python ] && cmp -s "$REQUIREMENTS" "$STAMP"; then exit 0; fi
# pip downloads every wheel before it installs any: about 4 GB of wheels beside 6.7 GB installed.
NEED_KB=$((11 * 1024 * 1024))
FREE_KB=$(df --output=avail -k . | tail -1)
if [ "$FREE_KB" -lt "$NEED_KB" ]; then
  echo "error: .venv-torch needs about 11 GB free on $(df --output=target . | tail -1) for PyPI's" \
    "torch wheel, and $((FREE_KB / 1024 / 1024)) GB is free; free some space, or build only" \
    "against Debian's LibTorch with DISTILL_LIBTORCH=debian" >&2
  exit 1
fi
echo "setting up .venv-torch (PyPI: $(grep -v '^#' "$REQUIREMENTS" | tr '\n' ' '))" >&2
/usr/bin/python3 -m venv --clear .venv-torch
.venv-torch/bin/pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2
cp "$REQUIREMENTS" "$STAMP"
