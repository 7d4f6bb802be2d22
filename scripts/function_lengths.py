#!/usr/bin/env python3
"""Lists the longest functions of engine/ and ui/ (and fails past a budget).

A function here is a block that opens at the end of a line starting in column 0 (how every
definition in this tree is written, namespaces being unindented) and closes at the next '}' in
column 0; namespaces, classes, structs, enums and initialiser tables are skipped. Its length counts
from the signature's first line to the closing brace. Usage:
  scripts/function_lengths.py [--top N] [--budget LINES] [--file-budget LINES] [ROOT]
--file-budget also fails on an engine source file longer than LINES.
"""
import argparse
import pathlib
import re
import sys

SKIP = re.compile(r"^(namespace|class|struct|enum|union|extern|template\s*<[^>]*>\s*(class|struct))\b|=\s*\{$|^(const|constexpr|static)\b.*=")


def functions(path):
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        starts = line and not line[0].isspace() and not line.startswith(("#", "//", "}", "/*", " *"))
        if starts and not SKIP.search(line.strip()) and not line.rstrip().endswith((";", ",", ":", "}")):
            # The signature may wrap: its body opens at the first line ending in '{' (a few lines on).
            open_at = next((k for k in range(i, min(i + 8, len(lines))) if lines[k].rstrip().endswith("{")), None)
            ends_early = any(lines[k].rstrip().endswith(";") for k in range(i, open_at or i))
            if open_at is not None and not ends_early and "(" in "".join(lines[i:open_at + 1]):
                end = open_at + 1
                while end < len(lines) and not lines[end].startswith("}"):
                    end += 1
                name = re.sub(r"\(.*", "", line).split()[-1] if "(" in line else line.strip()
                yield name, i + 1, end - i + 1
                i = end
        i += 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--budget", type=int, default=0, help="fail when a function is longer")
    parser.add_argument("--file-budget", type=int, default=0, help="fail when an engine source is longer")
    parser.add_argument("root", nargs="?", default=pathlib.Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    root = pathlib.Path(args.root)
    found = []
    for folder in ("engine", "ui"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".cpp", ".h"):
                for name, line, length in functions(path):
                    found.append((length, f"{path.relative_to(root)}:{line}", name))
    found.sort(reverse=True)
    for length, where, name in found[: args.top]:
        print(f"{length:5d}  {name}  ({where})")
    over = [f for f in found if args.budget and f[0] > args.budget]
    for length, where, name in over:
        print(f"over {args.budget} lines: {name} ({where}, {length} lines)")
    long_files = []
    if args.file_budget:
        for path in sorted((root / "engine").rglob("*.cpp")):
            lines = len(path.read_text(encoding="utf-8", errors="replace").splitlines())
            if lines > args.file_budget:
                long_files.append(path)
                print(f"over {args.file_budget} lines: {path.relative_to(root)} ({lines} lines)")
    return 1 if over or long_files else 0


if __name__ == "__main__":
    sys.exit(main())
