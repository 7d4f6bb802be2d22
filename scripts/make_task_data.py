#!/usr/bin/env python3
"""Prompt/response data for a task whose answers can be checked exactly (issue 24's demo).

    scripts/make_task_data.py addition OUTDIR [--train 20000] [--test 500] [--digits 3] [--seed 1]
    scripts/make_task_data.py reversal OUTDIR ...

Writes OUTDIR/train.jsonl and OUTDIR/test.jsonl, one {"prompt": ..., "response": ...} per line:
  addition   "123+45=" -> "168"      (operands of 1..digits digits)
  reversal   "reverse:abc=" -> "cba"  (lowercase words of 1..2*digits letters)
The same arguments always write the same bytes (one seeded generator, sorted keys). No prompt of
the test split occurs in the train split, so held-out accuracy measures what was learnt, not what
was remembered. Standard library only.
"""
import argparse
import json
import os
import random
import string
import sys


def addition(rng, digits):
    a = rng.randrange(10 ** rng.randint(1, digits))
    b = rng.randrange(10 ** rng.randint(1, digits))
    return f"{a}+{b}=", str(a + b)


def reversal(rng, digits):
    word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 2 * digits)))
    return f"reverse:{word}=", word[::-1]


TASKS = {"addition": addition, "reversal": reversal}


def examples(task, count, digits, rng, taken):
    """`count` examples whose prompts are not in `taken` (which they are added to)."""
    out = []
    attempts = 0
    while len(out) < count:
        attempts += 1
        if attempts > 100 * count + 1000:
            sys.exit(f"make_task_data: only {len(out)} distinct {task} prompts with --digits {digits}; "
                     "ask for fewer examples or more digits")
        prompt, response = TASKS[task](rng, digits)
        if prompt in taken:
            continue
        taken.add(prompt)
        out.append({"prompt": prompt, "response": response})
    return out


def write(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, sort_keys=True) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("task", choices=sorted(TASKS))
    ap.add_argument("outdir")
    ap.add_argument("--train", type=int, default=20000)
    ap.add_argument("--test", type=int, default=500)
    ap.add_argument("--digits", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.train < 1 or a.test < 1 or a.digits < 1:
        sys.exit("make_task_data: --train, --test and --digits must be at least 1")
    rng = random.Random(f"{a.task}/{a.digits}/{a.seed}")
    taken = set()
    test = examples(a.task, a.test, a.digits, rng, taken)  # drawn first: the split does not move with --train
    train = examples(a.task, a.train, a.digits, rng, taken)
    os.makedirs(a.outdir, exist_ok=True)
    write(os.path.join(a.outdir, "train.jsonl"), train)
    write(os.path.join(a.outdir, "test.jsonl"), test)
    print(f"{a.task}: {len(train)} train, {len(test)} test examples in {a.outdir}")


if __name__ == "__main__":
    main()
