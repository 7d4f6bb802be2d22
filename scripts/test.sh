#!/usr/bin/env bash
# Builds (installing what is missing) and runs the tests headless, against both LibTorch sources:
#   1. Debian's LibTorch 1.13 (build/): the whole suite, the workbench's included;
#   2. PyPI's LibTorch 2.x with CUDA (build-torch/, .venv-torch/): everything built, the engine and
#      CLI tests run on its CPU backend (the workbench's tests ran in 1; CUDA cases skip without a
#      GPU and run on a GPU machine).
# DISTILL_LIBTORCH=debian|pypi tests that source alone, the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen

# One LibTorch source: build, then run the tests (CTest labels pick which: see tests/CMakeLists.txt).
test_source() {
  local source=$1
  shift
  (
    export DISTILL_LIBTORCH=$source
    source scripts/libtorch_source.sh
    echo "=== LibTorch: $source ($DISTILL_BUILD_DIR) ==="
    ./scripts/setup.sh
    # Suites in parallel, one per core (each keeps to its own threads; see tests/CMakeLists.txt).
    ctest --test-dir "$DISTILL_BUILD_DIR" --output-on-failure -j "$(nproc)" "$@"
  )
}

./scripts/python_env.sh
if [ -n "${DISTILL_LIBTORCH:-}" ]; then
  test_source "$DISTILL_LIBTORCH"
else
  unset DISTILL_BUILD_DIR  # each source its own folder
  test_source debian
  test_source pypi --label-exclude ui
fi
