#!/usr/bin/env bash
# The engine, the CLI and the engine tests built with AddressSanitizer + UndefinedBehaviorSanitizer
# (CMake option DISTILL_SANITIZE) in build-asan/, then the suite run under them. Any memory error
# or undefined behaviour aborts the test that hit it. Extra arguments go to ctest, e.g. a subset:
#   scripts/sanitize.sh -R 'tst_(resume|fuzz_readers|checkpoint)'
# The Qt widget tests are left out (Qt itself is not instrumented; the window holds no engine
# state of its own), and so are SentencePiece's checks: its plugin needs RTLD_DEEPBIND, which
# ASan refuses (they report SKIP there and run in every normal build).
set -euo pipefail
cd "$(dirname "$0")/.."
DISTILL_SETUP_BUILD=0 ./scripts/setup.sh
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
export CCACHE_BASEDIR="$PWD"
if [ ! -f build-asan/build.ninja ]; then
  # -O1: a sanitized -O2 build takes far longer to compile on small machines for little gain.
  cmake -S . -B build-asan -G Ninja -DDISTILL_SANITIZE=ON -DDISTILL_BUILD_UI=OFF \
    -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1"
fi
cmake --build build-asan -j "$(nproc)"
# Leak checking is off: LibTorch and yaml-cpp keep process-lifetime allocations that LSan lists.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir build-asan --output-on-failure "$@"
