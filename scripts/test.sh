#!/usr/bin/env bash
# Builds (installing what is missing) and runs the whole test suite headless.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/python_env.sh
export QT_QPA_PLATFORM=offscreen
ctest --test-dir build --output-on-failure
