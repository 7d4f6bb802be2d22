#!/usr/bin/env bash
# The project's own Python environment, .venv/: the PyPI packages whose readers check the files we
# write (TensorBoard's event reader). Never the system Python's packages. Idempotent: it installs
# only when scripts/python-requirements.txt changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUIREMENTS=scripts/python-requirements.txt
STAMP=.venv/installed-requirements.txt
if [ -x .venv/bin/python ] && cmp -s "$REQUIREMENTS" "$STAMP"; then exit 0; fi
echo "setting up .venv (PyPI: $(grep -v '^#' "$REQUIREMENTS" | tr '\n' ' '))"
/usr/bin/python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
cp "$REQUIREMENTS" "$STAMP"
