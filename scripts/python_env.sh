#!/usr/bin/env bash
# The project's own Python environment, .venv/: the PyPI packages whose readers check the files we
# write (TensorBoard's event reader, transformers' model and tokenizer loaders). Nothing is
# installed into the system Python; the venv sees its packages (Debian's python3-torch, which
# transformers runs on) read-only. Idempotent: it installs only when
# scripts/python-requirements.txt changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUIREMENTS=scripts/python-requirements.txt
STAMP=.venv/installed-requirements.txt
if [ -x .venv/bin/python ] && cmp -s "$REQUIREMENTS" "$STAMP"; then exit 0; fi
echo "setting up .venv (PyPI: $(grep -v '^#' "$REQUIREMENTS" | tr '\n' ' '))"
/usr/bin/python3 -m venv --clear --system-site-packages .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
cp "$REQUIREMENTS" "$STAMP"
