#!/usr/bin/env bash
# The main job: the workbench on the default experiment, or without a display the headless run.
# Extra arguments go to the program (e.g. another experiment file, or --set overrides headless).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/libtorch_source.sh
# Only what this script starts: the tests are built by scripts/test.sh when they are wanted.
DISTILL_SETUP_TARGETS="distill distill-workbench" ./scripts/setup.sh
EXPERIMENT=experiments/shakespeare_char.yaml
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$DISTILL_BUILD_DIR/app/distill-workbench" ]; then
  exec "$DISTILL_BUILD_DIR"/app/distill-workbench "${@:-$EXPERIMENT}"
fi
echo "run: no display, running the experiment headless"
if [ $# -gt 0 ] && [ -f "$1" ]; then
  exec "$DISTILL_BUILD_DIR"/app/distill run "$@"
fi
exec "$DISTILL_BUILD_DIR"/app/distill run "$EXPERIMENT" "$@"
