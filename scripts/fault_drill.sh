#!/usr/bin/env bash
# Fault drill: kills runs with SIGKILL mid-teacher and mid-students and resumes them, stops one
# with SIGTERM, then feeds the runner the bad-input list (broken YAML, corpora, checkpoints,
# safetensors, tokenizers, a full and a read-only disk), kills a worker and rank 0 of a
# two-process run, resuming each time, and resumes one run twice at once (one writer per folder)
# and tries names that would leave the runs folder. Prints what it tried and what it checked
# was not lost; exits non-zero when any check fails.
#   scripts/fault_drill.sh            (builds first when needed)
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null || { echo "drill: build failed" >&2; exit 2; }
CLI="$PWD/build/app/distill"
WORK=$(mktemp -d)
MOUNTS=()
cleanup() {
  for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
  chmod -R u+rwX "$WORK" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

passed=0
failed=0
check() {  # check "what was checked" command...
  local what="$1"
  shift
  if "$@"; then
    echo "  ok    $what"
    passed=$((passed + 1))
  else
    echo "  FAIL  $what"
    failed=$((failed + 1))
  fi
}

# --- 1. kill -9 and resume ------------------------------------------------------------------
cat >"$WORK/drill.yaml" <<'YAML'
name: drill
data: {block_size: 32}
teacher: {layers: 2, heads: 2, embd: 32}
students:
  - {name: tf, layers: 1, heads: 2, embd: 16}
  - {name: rnn, arch: gru, embd: 16, hidden: 16}
train: {steps: 300, batch_size: 8, eval_interval: 100, eval_batches: 2, threads: 1, checkpoint_interval: 20}
generate: {prompts: ["ROMEO:"], max_new_tokens: 16}
YAML

newest_point() {  # newest_point RUNDIR PHASE → the step of its newest committed point of PHASE (or -1)
  local best=-1 d step
  for d in "$1"/resume/*-"$2"-*; do
    [[ -d "$d" && "$d" != *.tmp ]] || continue
    step=$((10#${d##*-}))
    ((step > best)) && best=$step
  done
  echo "$best"
}

kill_when() {  # kill_when PID RUNDIR PHASE MIN_STEP → SIGKILL once a point of PHASE at >= MIN_STEP exists
  local pid=$1 dir=$2 phase=$3 min=$4
  for _ in $(seq 1 6000); do
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if (($(newest_point "$dir" "$phase") >= min)); then
      sleep 0.$((RANDOM % 10))  # somewhere between two checkpoints, maybe while one is written
      kill -9 "$pid"
      wait "$pid" 2>/dev/null
      return 0
    fi
    sleep 0.05
  done
  return 1
}

val_losses() { grep -o '"val_loss": [^,]*' "$1/summary.json"; }
metrics_parse() { awk '!/^\{.*\}$/ { bad = 1 } END { exit bad }' "$1/metrics.jsonl"; }
metrics_unique() { [ -z "$(sed 's/,"value".*//' "$1/metrics.jsonl" | sort | uniq -d)" ]; }
curve_complete() { [ "$(grep -c "\"model\":\"$2\",\"name\":\"train/loss\"" "$1/metrics.jsonl")" -eq "$3" ]; }

echo "drill 1: SIGKILL in the teacher's phase and in the students', resume each time"
"$CLI" run "$WORK/drill.yaml" --out "$WORK/whole" >"$WORK/whole.log" 2>&1
check "an uninterrupted run completes (the reference)" test -f "$WORK/whole/summary.json"

"$CLI" run "$WORK/drill.yaml" --out "$WORK/killed" >"$WORK/killed1.log" 2>&1 &
check "killed with SIGKILL in the teacher's phase (after its checkpoint at step >= 60)" kill_when $! "$WORK/killed" teacher 60
check "no summary: it really died mid-run" test ! -f "$WORK/killed/summary.json"
teacher_point=$(newest_point "$WORK/killed" teacher)
check "not lost: a resumable checkpoint at teacher step $teacher_point" test "$teacher_point" -ge 60
check "metrics.jsonl has no torn line after the kill" metrics_parse "$WORK/killed"

# The kill may land after the teacher's last step, once the students' first point exists: the
# resume continues from whichever point was newest at the kill (folders are <order>-<phase>-<step>).
newest=$(ls -1 "$WORK/killed/resume" | grep -v '\.tmp$' | sort | tail -1)
newest_phase=${newest#*-}
newest_phase=${newest_phase%-*}
resumed_from="$newest_phase step $((10#${newest##*-}))"
"$CLI" run --resume "$WORK/killed" >"$WORK/killed2.log" 2>&1 &
check "resumed, then killed again in the students' phase (step >= 40)" kill_when $! "$WORK/killed" students 40
student_point=$(newest_point "$WORK/killed" students)
check "not lost: a resumable checkpoint at students step $student_point" test "$student_point" -ge 40
check "the second resume said where it continued ($resumed_from)" grep -q "from $resumed_from" "$WORK/killed2.log"

"$CLI" run --resume "$WORK/killed" >"$WORK/killed3.log" 2>&1
check "the last resume completes" grep -q '"status": "completed"' "$WORK/killed/summary.json"
check "it continued from students step $student_point" grep -q "from students step $student_point" "$WORK/killed3.log"
check "val losses equal the uninterrupted run's (bitwise, 1 thread)" diff <(val_losses "$WORK/whole") <(val_losses "$WORK/killed")
check "metrics.jsonl: every line is whole JSON" metrics_parse "$WORK/killed"
check "metrics.jsonl: no point twice (replaced, not duplicated)" metrics_unique "$WORK/killed"
check "the teacher's loss curve has its 300 points" curve_complete "$WORK/killed" teacher 300
check "tf-kd's loss curve has its 300 points" curve_complete "$WORK/killed" tf-kd 300
check "the samples equal the uninterrupted run's" diff "$WORK/whole/samples.jsonl" "$WORK/killed/samples.jsonl"

echo "drill 2: SIGTERM stops cleanly with a checkpoint"
"$CLI" run "$WORK/drill.yaml" --out "$WORK/term" >"$WORK/term.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do (($(newest_point "$WORK/term" teacher) >= 20)) && break; sleep 0.05; done
kill -TERM "$pid"
wait "$pid"
code=$?
check "exit status 130 after SIGTERM" test "$code" -eq 130
check "summary says cancelled" grep -q '"status": "cancelled"' "$WORK/term/summary.json"
check "a checkpoint at the step where it stopped" test "$(newest_point "$WORK/term" teacher)" -ge 20
cp -r "$WORK/term" "$WORK/term-copy"  # drill 3 damages its checkpoints
resume_quietly() { "$CLI" run --resume "$1" >/dev/null 2>&1; }
check "the resume continues to the end" resume_quietly "$WORK/term"
check "a completed run keeps no resumable checkpoints" test ! -e "$WORK/term/resume"

# --- 3. bad input ---------------------------------------------------------------------------
echo "drill 3: bad input gets one clear line and a non-zero exit, never a crash"
FAST=(--set train.steps=3 --set train.eval_batches=1 --set generate.max_new_tokens=4)
one_line() {  # one_line NAME EXPECTED_TEXT [as-nobody | capped] -- distill arguments...
  local name=$1 expected=$2 prefix=()
  shift 2
  if [ "$1" = as-nobody ]; then
    prefix=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    shift
  elif [ "$1" = capped ]; then  # no file may grow past 96 KiB; the write fails instead of killing
    prefix=(bash -c 'ulimit -f 96; trap "" XFSZ; exec "$@"' capped)
    shift
  fi
  shift  # --
  "${prefix[@]}" "$CLI" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"
  local code=$? lines
  lines=$(wc -l <"$WORK/err.txt")
  if ((code == 1 || code == 2)) && ((lines == 1)) && grep -qF -- "$expected" "$WORK/err.txt"; then
    echo "  ok    $name: $(cat "$WORK/err.txt")"
    passed=$((passed + 1))
  else
    echo "  FAIL  $name: exit $code, $lines lines, expected '$expected':"
    sed 's/^/          /' "$WORK/err.txt"
    failed=$((failed + 1))
  fi
}
B="$WORK/bad"
mkdir -p "$B"
chmod 755 "$WORK" "$B"
yaml() { printf '%s\n' "$2" >"$B/$1.yaml"; echo "$B/$1.yaml"; }

one_line "wrong type" "train.batch_size: expected an integer" -- run "$(yaml type 'train: {batch_size: ten}')"
one_line "out of range" "train.warmup_steps: must be >= 0" -- run "$(yaml range 'train: {warmup_steps: -1}')"
one_line "unknown key" "train.stepz: unknown key" -- run "$(yaml unknown 'train: {stepz: 5}')"
one_line "YAML syntax" "(syntax)" -- run "$(yaml syntax 'train: [1, 2')"
one_line "missing corpus" "corpus not found" -- run "$(yaml nocorpus 'data: {corpus: nowhere.txt}')" "${FAST[@]}"
: >"$B/empty.txt"
one_line "empty corpus" "corpus is empty" -- run "$(yaml empty 'data: {corpus: empty.txt}')" "${FAST[@]}"
head -c 3000 /bin/ls >"$B/binary.txt"
one_line "binary corpus" "looks binary" -- run "$(yaml binary 'data: {corpus: binary.txt}')" "${FAST[@]}"
printf 'To be, or not\xff\xfe to be' >"$B/latin.txt"
one_line "invalid UTF-8 corpus" "not valid UTF-8" -- run "$(yaml latin 'data: {corpus: latin.txt}')" "${FAST[@]}"
echo "some text" >"$B/secret.txt"
chmod 000 "$B/secret.txt"
chmod 644 "$B"/*.yaml
one_line "unreadable corpus" "Permission denied" as-nobody -- run "$(yaml secret 'data: {corpus: secret.txt}')" "${FAST[@]}" --out "$B/secret-run"

good="$WORK/whole/checkpoints/teacher.pt"
head -c 5000 /dev/urandom >"$B/random.pt"
one_line "corrupt checkpoint (random bytes)" "not a readable LibTorch archive" -- run "$(yaml random "teacher: {checkpoint: random.pt}")" "${FAST[@]}"
head -c $(($(stat -c %s "$good") / 2)) "$good" >"$B/truncated.pt"
one_line "truncated checkpoint" "checkpoint $B/truncated.pt" -- run "$(yaml truncated "teacher: {checkpoint: truncated.pt}")" "${FAST[@]}"
cp "$good" "$B/flipped.pt"
printf '\x55' | dd of="$B/flipped.pt" bs=1 seek=$(($(stat -c %s "$good") / 3)) conv=notrunc status=none
one_line "bit-flipped checkpoint" "checkpoint $B/flipped.pt" -- run "$(yaml flipped "teacher: {checkpoint: flipped.pt}")" "${FAST[@]}"
one_line "mismatched checkpoint (context shorter than block_size)" "has a context of 32 tokens" -- \
  run "$(yaml mismatch "teacher: {checkpoint: $good}
data: {block_size: 64}")" "${FAST[@]}"
mkdir -p "$B/hf"
cp tests/fixtures/gpt2-tiny/config.json "$B/hf/"
head -c 3000 tests/fixtures/gpt2-tiny/model.safetensors >"$B/hf/model.safetensors"
one_line "truncated safetensors" "model.safetensors" -- run "$(yaml hf "teacher: {hf: hf}
data: {tokenizer: $PWD/tests/fixtures/bpe512}")" "${FAST[@]}"
mkdir -p "$B/tok"
head -c 200 tests/fixtures/bpe512/tokenizer.json >"$B/tok/tokenizer.json" 2>/dev/null || echo '{"model": {' >"$B/tok/tokenizer.json"
one_line "corrupt tokenizer.json" "tokenizer.json" -- run "$(yaml tok 'data: {tokenizer: tok}')" "${FAST[@]}"

# A full disk and a read-only one: real tmpfs mounts when this may mount (root), else an
# RLIMIT_FSIZE cap and an unprivileged user on a read-only folder.
mkdir -p "$B/small" "$B/ro"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=96k tmpfs "$B/small" 2>/dev/null; then
  MOUNTS+=("$B/small")
  one_line "full disk (96 KiB tmpfs)" "No space left on device" -- run "$(yaml full 'name: full')" "${FAST[@]}" --out "$B/small/run"
else
  one_line "full disk (96 KiB file-size cap)" "File too large" capped -- run "$(yaml full 'name: full')" "${FAST[@]}" --out "$B/small/run"
fi
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o ro,size=64k tmpfs "$B/ro" 2>/dev/null; then
  MOUNTS+=("$B/ro")
  one_line "read-only disk (ro tmpfs)" "cannot create run directory" -- run "$(yaml ro 'name: ro')" "${FAST[@]}" --out "$B/ro/run"
else
  chmod 555 "$B/ro"
  one_line "read-only folder" "cannot create run directory" as-nobody -- run "$(yaml ro 'name: ro')" "${FAST[@]}" --out "$B/ro/run"
fi

cp -r "$WORK/term-copy" "$B/damaged-run"
for f in "$B"/damaged-run/resume/*/teacher.pt "$B"/damaged-run/resume/*/tf-kd.pt; do
  [ -f "$f" ] && printf '\x55\x55\x55\x55' | dd of="$f" bs=1 seek=300 conv=notrunc status=none
done
one_line "resume with every checkpoint damaged" "is damaged" -- run --resume "$B/damaged-run"
one_line "resume of a completed run" "has completed: nothing to resume" -- run --resume "$WORK/whole"

# --- 4. data-parallel runs ------------------------------------------------------------------
echo "drill 4: two processes; a worker, then rank 0, killed with SIGKILL; resume each time"
dp_kill_when() {  # dp_kill_when RANK0_PID RUNDIR PHASE MIN_STEP worker|rank0 → SIGKILL one of them
  local pid=$1 dir=$2 phase=$3 min=$4 who=$5 victim
  for _ in $(seq 1 6000); do
    kill -0 "$pid" 2>/dev/null || return 1
    if (($(newest_point "$dir" "$phase") >= min)); then
      sleep 0.$((RANDOM % 10))
      pgrep -P "$pid" | head -n 1 >"$dir.worker"
      victim=$pid
      [ "$who" = worker ] && victim=$(cat "$dir.worker")
      [ -n "$victim" ] || return 1
      echo "$victim" >"$dir.victim"
      kill -9 "$victim"
      return 0
    fi
    sleep 0.05
  done
  return 1
}
ended_within() {  # ended_within SECONDS PID → the process is gone (or a zombie) within SECONDS
  local seconds=$1 pid=$2 state
  [ -n "$pid" ] || return 1
  for _ in $(seq 1 $((seconds * 20))); do
    state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
    [ -z "$state" ] || [ "$state" = Z ] && return 0
    sleep 0.05
  done
  return 1
}
DP=(--nproc 2 --dist-timeout 5)
"$CLI" run "$WORK/drill.yaml" "${DP[@]}" --out "$WORK/dp-whole" >"$WORK/dp-whole.log" 2>&1
check "an uninterrupted two-process run completes (the reference)" grep -q '"world_size": 2' "$WORK/dp-whole/summary.json"

"$CLI" run "$WORK/drill.yaml" "${DP[@]}" --out "$WORK/dp" >"$WORK/dp1.log" 2>&1 &
rank0=$!
check "worker killed with SIGKILL in the teacher's phase (after step >= 40)" dp_kill_when $rank0 "$WORK/dp" teacher 40 worker
check "rank 0 ends within 15 s of it (timeout 5 s)" ended_within 15 $rank0
wait $rank0; code=$?
check "rank 0 exits 1" test "$code" -eq 1
check "it names the killed worker and its signal" grep -q "rank 1 (pid $(cat "$WORK/dp.victim")) was killed by signal 9" "$WORK/dp1.log"
check "it prints the resume command" grep -q "distill run --resume $WORK/dp --nproc 2" "$WORK/dp1.log"

"$CLI" run --resume "$WORK/dp" "${DP[@]}" >"$WORK/dp2.log" 2>&1 &
rank0=$!
check "resumed on two processes, then rank 0 killed in the students' phase (step >= 40)" dp_kill_when $rank0 "$WORK/dp" students 40 rank0
check "its worker ends within 15 s (timeout 5 s)" ended_within 15 "$(cat "$WORK/dp.worker")"
wait $rank0 2>/dev/null
"$CLI" run --resume "$WORK/dp" "${DP[@]}" >"$WORK/dp3.log" 2>&1
check "the last resume completes" grep -q '"status": "completed"' "$WORK/dp/summary.json"
check "val losses equal the uninterrupted two-process run's" diff <(val_losses "$WORK/dp-whole") <(val_losses "$WORK/dp")
check "metrics.jsonl: no point twice" metrics_unique "$WORK/dp"
check "the teacher's loss curve has its 300 points" curve_complete "$WORK/dp" teacher 300

# --- 5. one writer per run folder; names that would leave the runs folder -------------------
echo "drill 5: two resumes of one run at once; experiment and student names that leave the runs folder"
cp -r "$WORK/term-copy" "$WORK/twice"
"$CLI" run --resume "$WORK/twice" >"$WORK/twice-a.log" 2>&1 &
first=$!
"$CLI" run --resume "$WORK/twice" >"$WORK/twice-b.log" 2>&1 &
second=$!
start=$(date +%s%N)
refused_ms=""
while [ -z "$refused_ms" ] && { kill -0 $first 2>/dev/null || kill -0 $second 2>/dev/null; }; do
  if ! kill -0 $first 2>/dev/null || ! kill -0 $second 2>/dev/null; then refused_ms=$((($(date +%s%N) - start) / 1000000)); fi
  sleep 0.02
done
wait $first
code_a=$?
wait $second
code_b=$?
check "exactly one of two simultaneous resumes runs (exits $code_a and $code_b)" \
  test $((code_a == 0 ? 1 : 0)) -ne $((code_b == 0 ? 1 : 0))
check "the other is refused within a second (after ${refused_ms:-?} ms), naming the writer's pid" \
  bash -c "[ \"${refused_ms:-9999}\" -lt 1000 ] && cat '$WORK/twice-a.log' '$WORK/twice-b.log' | grep -q 'is being written by pid [0-9]* on .* since '"
check "the resumed run completes" grep -q '"status": "completed"' "$WORK/twice/summary.json"
check "metrics.jsonl: no point twice" metrics_unique "$WORK/twice"
mkdir -p "$B/nest/runs"
one_line "experiment name with ../" "name: may use only letters" -- run "$(yaml escape 'name: ../../escaped')" "${FAST[@]}"
check "nothing was written outside the runs folder" bash -c "! ls -d '$B'/escaped* '$WORK'/escaped* ../escaped* 2>/dev/null | grep -q ."
one_line "student name with a slash" "students.0.name: may use only letters" -- run "$(yaml escape2 'students: [{name: a/../../b}]')" "${FAST[@]}"

echo
echo "fault drill: $passed checks passed, $failed failed"
((failed == 0))
