#!/usr/bin/env bash
# .venv-torch/: PyPI's torch wheel, the LibTorch 2.x a DISTILL_LIBTORCH=pypi build compiles against
# (about 4 GB downloaded, 6.7 GB installed). Never the system Python. Idempotent: installs only when
# scripts/torch-requirements.txt changed since the last install. Prints nothing else on success.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUIREMENTS=scripts/torch-requirements.txt
STAMP=.venv-torch/installed-requirements.txt
if [ -x .venv-torch/bin/python ] && cmp -s "$REQUIREMENTS" "$STAMP"; then exit 0; fi
echo "setting up .venv-torch (PyPI: $(grep -v '^#' "$REQUIREMENTS" | tr '\n' ' '))" >&2
/usr/bin/python3 -m venv --clear .venv-torch
.venv-torch/bin/pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2
cp "$REQUIREMENTS" "$STAMP"
