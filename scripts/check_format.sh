#!/usr/bin/env bash
# Fails when a C++ file of the project differs from what the repo's .clang-format makes of it
# (a CTest test runs this). Fix with: scripts/check_format.sh --fix
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v clang-format > /dev/null || { echo "check_format: clang-format is not installed (scripts/setup.sh installs it)"; exit 1; }
mapfile -t files < <(find app engine ui tests bench -type f \( -name '*.cpp' -o -name '*.h' \) -not -path 'tests/fixtures/*' | sort)
if [[ ${1:-} == --fix ]]; then
  clang-format -i "${files[@]}"
  echo "check_format: formatted ${#files[@]} files"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" > /dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  printf 'check_format: not formatted: %s\n' "${bad[@]}"
  echo "check_format: run scripts/check_format.sh --fix"
  exit 1
fi
echo "check_format: ${#files[@]} files formatted"
