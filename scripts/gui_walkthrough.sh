#!/usr/bin/env bash
# Drives the real workbench window under Xvfb the way a newcomer would, with xdotool: scroll the
# form, start a short run, pause, change a live setting, resume, stop, generate samples, start a
# second run and overlay the first. Checks what each step must (or must not) change and leaves a
# screenshot per step in docs/walkthrough/ (override with WALKTHROUGH_OUT).
#   ./scripts/gui_walkthrough.sh
# Coordinates are the window's own at its default size (1500 x 940, top-left at 0,0 under a bare
# Xvfb without a window manager).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ -z "${WALKTHROUGH_UNDER_XVFB:-}" ]; then
  DISTILL_SETUP_EXTRA="xdotool x11-apps netpbm" ./scripts/setup.sh
  export WALKTHROUGH_UNDER_XVFB=1
  exec xvfb-run -a -s "-screen 0 1500x940x24" "$0" "$@"
fi

OUT=${WALKTHROUGH_OUT:-$ROOT/docs/walkthrough}
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'kill "${APP:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
RUNS=$WORK/runs

# The default experiment, shortened so that the walkthrough takes a minute, with a comment that
# Save must keep.
sed -e 's/^  steps: 2000/  steps: 400/' -e 's/^  eval_interval: .*/  eval_interval: 100/' \
  -e 's|\.\./resources|'"$ROOT"'/resources|' experiments/shakespeare_char.yaml > "$WORK/walkthrough.yaml"
echo "# walkthrough copy" >> "$WORK/walkthrough.yaml"
cp "$WORK/walkthrough.yaml" "$WORK/as_written.yaml"

shot() { xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng > "$OUT/$1.png"; echo "walkthrough: $OUT/$1.png"; }
fail() { echo "walkthrough: FAILED: $*" >&2; shot failure; exit 1; }
title() { xdotool getwindowname "$WID"; }
click() { xdotool mousemove "$1" "$2" click 1; sleep 0.4; }
key() { xdotool key --clearmodifiers "$@"; sleep 0.4; }
newest_run() { ls -1d "$RUNS"/*/ 2>/dev/null | sort | tail -1; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2
  shift 2
  for ((i = 0; i < limit * 5; i++)); do
    if "$@"; then return 0; fi
    sleep 0.2
  done
  fail "waited ${limit}s for $what"
}

build/app/distill-workbench --runs "$RUNS" "$WORK/walkthrough.yaml" &
APP=$!
WID=$(xdotool search --sync --name "Distillation Workbench" | head -1)
sleep 2
xdotool windowactivate --sync "$WID" 2>/dev/null || xdotool windowfocus --sync "$WID"
shot 01-opened

# Where things are in the window at its default size (measured on a screenshot of it).
FORM_X=215 FORM_Y=600                      # over the Teacher group's spin boxes
FORM_TAB_X=47 FORM_TAB_Y=70                # "Experiment" tab
YAML_TAB_X=121 YAML_TAB_Y=70               # "YAML" tab
LR_X=249 LR_Y=133                          # Live settings: Learning rate
RUN_LENGTH_X=269 RUN_LENGTH_Y=38           # run-length preset beside Start
CURVES_TAB_X=500 CURVES_TAB_Y=95           # "Training curves" tab
SAMPLES_TAB_X=596 SAMPLES_TAB_Y=95         # "Samples" tab
RUNS_TAB_X=661 RUNS_TAB_Y=95               # "Runs" tab
GENERATE_X=1319 GENERATE_Y=128             # Samples: Generate
OVERLAY_X=1361 OVERLAY_Y=128               # Runs: Overlay
RUN_ROW2_X=496 RUN_ROW2_Y=283              # Runs: the second run's row (below the first's 7 models)
# Once a run has ended, its two-line banner above the tabs pushes them (and what is in them) down.
BANNER_DY=51

# 1. The wheel over the form scrolls it and edits nothing: no spin box under the pointer changes.
xdotool mousemove $FORM_X $FORM_Y
for _ in $(seq 15); do xdotool click 5; sleep 0.05; done
shot 02-form-scrolled
for _ in $(seq 15); do xdotool click 4; sleep 0.05; done
[[ "$(title)" != *"*"* ]] || fail "the wheel edited the experiment: $(title)"
echo "walkthrough: scrolled the form 30 notches, the experiment is unchanged ($(title))"

# 2. Start (Ctrl+R) and watch the curves come in.
key ctrl+r
wait_for 60 "the first run's folder" test -n "$(newest_run)"
RUN1=$(newest_run)
wait_for 120 "student steps" grep -q '"transformer-kd"' "$RUN1/metrics.jsonl"
sleep 3
shot 03-training-live

# 3. Pause (Ctrl+P): the YAML tab is read-only and says so.
key ctrl+p
sleep 1
click $YAML_TAB_X $YAML_TAB_Y
shot 04-paused-yaml-read-only
click $FORM_TAB_X $FORM_TAB_Y

# 4. Change a live setting while paused: the learning rate, at the top of the form.
xdotool mousemove $LR_X $LR_Y click --repeat 3 1
sleep 0.3
key ctrl+a
xdotool type --delay 60 "0.0005"
key Tab
shot 05-live-setting-changed

# 5. Resume (Ctrl+P again): the change reaches the run and is recorded.
key ctrl+p
wait_for 30 "the lr change in metrics.jsonl" grep -q '"setting/lr"' "$RUN1/metrics.jsonl"
echo "walkthrough: lr change recorded: $(grep -m1 '"setting/lr"' "$RUN1/metrics.jsonl")"
sleep 2
shot 06-resumed

# 6. Stop (Ctrl+.): checkpoints and a summary.
key ctrl+period
wait_for 60 "the first run's summary" test -f "$RUN1/summary.json"
sleep 1
shot 07-stopped

# 7. Samples: Generate continues the prompt with every model of the run on screen.
for v in SAMPLES_TAB_Y CURVES_TAB_Y RUNS_TAB_Y GENERATE_Y OVERLAY_Y RUN_ROW2_Y; do eval "$v=\$(($v + BANNER_DY))"; done
click $SAMPLES_TAB_X $SAMPLES_TAB_Y
click $GENERATE_X $GENERATE_Y
sleep 8
shot 08-samples

# 8. A second run with the quick preset, then overlay the first one.
click $CURVES_TAB_X $CURVES_TAB_Y
click $RUN_LENGTH_X $RUN_LENGTH_Y
key Down
key Return
key ctrl+r
wait_for 60 "the second run's folder" test "$(newest_run)" != "$RUN1"
RUN2=$(newest_run)
wait_for 180 "the second run's summary" test -f "$RUN2/summary.json"
sleep 1
click $RUNS_TAB_X $RUNS_TAB_Y
shot 09-runs
# The first run is the older, second row of the list (newest first).
click $RUN_ROW2_X $RUN_ROW2_Y
click $OVERLAY_X $OVERLAY_Y
sleep 1
shot 10-overlay

# 9. Save keeps the file as written (comments, number spelling, unnamed defaults) but for the lr.
key ctrl+s
sleep 1
if ! diff <(grep -v '^  lr:' "$WORK/as_written.yaml") <(grep -v '^  lr:' "$WORK/walkthrough.yaml"); then
  fail "Save rewrote lines the form did not change"
fi
grep -q '^  lr: 0.0005' "$WORK/walkthrough.yaml" || fail "Save lost the lr change"
echo "walkthrough: saved; only the lr line changed"

# 10. Closing mid-run would ask; idle it closes at once.
key ctrl+q
wait_for 20 "the window to close" bash -c "! kill -0 $APP 2>/dev/null"
echo "walkthrough: done; screenshots in $OUT"
