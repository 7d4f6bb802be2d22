"""transformers reads what `distill export-hf` wrote: logits within 1e-4 of `distill logits` on the
same ids, the same greedy continuation as `distill generate --greedy`, and AutoTokenizer's ids equal
to `distill tokenize`'s.

usage: check_hf_export.py DISTILL TEXT (EXPORTED_FOLDER CHECKPOINT)..."""

import json
import subprocess
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def distill(*args):
    return subprocess.run([DISTILL, *map(str, args)], check=True, capture_output=True, text=True).stdout


def check(folder, checkpoint, text):
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    theirs_ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    ours_ids = json.loads(distill("tokenize", "--tokenizer", folder, "--text", text, "--json"))["ids"]
    assert theirs_ids == ours_ids, (folder, theirs_ids, ours_ids)

    ids = ours_ids[:10]
    ours = torch.tensor([[float(v) for v in line.split()] for line in
                         distill("logits", checkpoint, "--ids", ",".join(map(str, ids)), "--all").splitlines()])
    with torch.no_grad():
        theirs = model(torch.tensor([ids])).logits[0]
    gap = (ours - theirs).abs().max().item()
    assert ours.shape == theirs.shape and gap < 1e-4, (folder, ours.shape, theirs.shape, gap)

    new = 12
    ours_new = [int(i) for i in distill("generate", "--model", checkpoint, "--ids", ",".join(map(str, ids)),
                                        "--greedy", "--print-ids", "--max-new-tokens", new).split()]
    # Greedy by hand, the full forward each step (model.generate imports torch.distributed.fsdp,
    # which Debian's torch 1.13 cannot import under Python 3.11).
    sequence = list(ids)
    with torch.no_grad():
        for _ in range(new):
            sequence.append(int(model(torch.tensor([sequence])).logits[0, -1].argmax()))
    theirs_new = sequence[len(ids):]
    assert ours_new == theirs_new, (folder, ours_new, theirs_new)
    print(f"ok: {folder}: {type(model).__name__}, logits within {gap:.1e}, {new} greedy ids equal, "
          f"{len(ours_ids)} token ids equal")


if __name__ == "__main__":
    DISTILL, text = sys.argv[1], sys.argv[2]
    pairs = sys.argv[3:]
    for folder, checkpoint in zip(pairs[::2], pairs[1::2]):
        check(folder, checkpoint, text)
