#!/usr/bin/env bash
# Builds (installing what is missing) and runs the whole test suite headless.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/libtorch_source.sh
./scripts/setup.sh
./scripts/python_env.sh
export QT_QPA_PLATFORM=offscreen
ctest --test-dir "$DISTILL_BUILD_DIR" --output-on-failure
