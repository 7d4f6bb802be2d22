#!/usr/bin/env python3
"""CTest: scripts/make_task_data.py writes the same bytes for the same arguments, other bytes for
another seed, a test split disjoint from the train split, and answers that are right; the data the
prompt_response demo ships (resources/data/reversal) is exactly what the generator writes for the
arguments experiments/prompt_response.yaml names."""
import filecmp
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "make_task_data.py")


def make(task, out, *extra):
    subprocess.run([sys.executable, SCRIPT, task, out, "--train", "300", "--test", "50", *extra],
                   check=True, stdout=subprocess.DEVNULL)
    return [[json.loads(line) for line in open(os.path.join(out, f"{split}.jsonl"))] for split in ("train", "test")]


def check(condition, message):
    if not condition:
        sys.exit(f"FAIL: {message}")


with tempfile.TemporaryDirectory() as tmp:
    for task in ("addition", "reversal"):
        first, again, other = (os.path.join(tmp, f"{task}-{name}") for name in ("a", "b", "c"))
        train, test = make(task, first)
        make(task, again)
        make(task, other, "--seed", "2")
        for split in ("train.jsonl", "test.jsonl"):
            check(filecmp.cmp(os.path.join(first, split), os.path.join(again, split), shallow=False),
                  f"{task} {split}: two runs with the same seed differ")
            check(not filecmp.cmp(os.path.join(first, split), os.path.join(other, split), shallow=False),
                  f"{task} {split}: seeds 1 and 2 wrote the same file")
        check(len(train) == 300 and len(test) == 50, f"{task}: {len(train)} train, {len(test)} test examples")
        check(not {r["prompt"] for r in train} & {r["prompt"] for r in test}, f"{task}: a test prompt is in train")
        for row in train + test:
            prompt, response = row["prompt"], row["response"]
            if task == "addition":
                a, b = prompt.rstrip("=").split("+")
                check(int(response) == int(a) + int(b), f"wrong sum: {row}")
            else:
                check(prompt.startswith("reverse:") and response == prompt[len("reverse:"):-1][::-1],
                      f"wrong reversal: {row}")
    # The shipped demo data: regenerated from the command line its experiment file records.
    demo = os.path.join(ROOT, "resources", "data", "reversal")
    recorded = [line for line in open(os.path.join(ROOT, "experiments", "prompt_response.yaml"))
                if "scripts/make_task_data.py" in line]
    check(len(recorded) == 1, "experiments/prompt_response.yaml names no make_task_data.py command")
    args = recorded[0].split("scripts/make_task_data.py", 1)[1].split()
    check(args[1] == "resources/data/reversal", f"the recorded command writes {args[1]}")
    fresh = os.path.join(tmp, "demo")
    subprocess.run([sys.executable, SCRIPT, args[0], fresh, *args[2:]], check=True, stdout=subprocess.DEVNULL)
    for split in ("train.jsonl", "test.jsonl"):
        check(filecmp.cmp(os.path.join(demo, split), os.path.join(fresh, split), shallow=False),
              f"resources/data/reversal/{split} is not what `make_task_data.py {' '.join(args)}` writes")
    print("task data: deterministic, split disjoint, answers right (addition, reversal)")
