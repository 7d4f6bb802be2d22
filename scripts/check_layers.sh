#!/usr/bin/env bash
# The engine's architecture, enforced: which folder of engine/src may include which (a CTest test
# runs this). Lower groups know nothing of higher ones: models and tokenizers know no run, config
# knows no module, and nothing in the engine knows Qt. Public headers (distill/*.h) are the API and
# may be included anywhere. Usage: scripts/check_layers.sh [REPO_ROOT]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
src=$root/engine/src

# group: the groups its files may include (itself always).
declare -A allowed=(
  [util]=""
  [config]="util"
  [tokenizers]="util"
  [models]="config util"
  [data]="tokenizers config util"
  [parallel]="config util"
  [kd]="models data tokenizers config util"
  [io]="models tokenizers data config util"
  [train]="kd models data tokenizers parallel config util"
  [store]="config util"
  [run]="train kd io store parallel models data tokenizers config util"
  [sweep]="store config util"
  [report]="util"
)

problems=0
for dir in "$src"/*/; do
  group=$(basename "$dir")
  if [[ -z ${allowed[$group]+set} ]]; then
    echo "engine/src/$group: a folder check_layers.sh does not know (add it to the table)"
    problems=$((problems + 1))
    continue
  fi
done
for file in $(find "$src" -type f \( -name '*.cpp' -o -name '*.h' \) | sort); do
  rel=${file#"$root"/}
  if [[ $(dirname "$file") == "$src" ]]; then
    echo "$rel: belongs in a group folder of engine/src"
    problems=$((problems + 1))
    continue
  fi
  group=$(basename "$(dirname "$file")")
  while IFS=: read -r line text; do
    target=$(sed -E 's/^#include[[:space:]]*[<"]([^">]+)[">].*/\1/' <<<"$text")
    case $target in
      Q* | qt* | *QtCore* | *QtWidgets*)
        echo "$rel:$line: includes $target (the engine knows no Qt)"
        problems=$((problems + 1))
        ;;
      distill/*) ;;  # the public API
      */*)
        dep=${target%%/*}
        [[ -d $src/$dep ]] || continue  # a library header (torch/, yaml-cpp/, ...)
        if [[ $dep != "$group" && " ${allowed[$group]} " != *" $dep "* ]]; then
          echo "$rel:$line: $group may not include $target ($group may include: ${allowed[$group]:-nothing})"
          problems=$((problems + 1))
        fi
        ;;
      *.h | *.inc)
        [[ $text == *'"'* ]] || continue  # <system.h>
        [[ -f $(dirname "$file")/$target ]] || {
          echo "$rel:$line: includes \"$target\" without its folder (write group/$target)"
          problems=$((problems + 1))
        }
        ;;
    esac
  done < <(grep -n '^#include' "$file" || true)
done
if ((problems > 0)); then
  echo "check_layers: $problems include(s) against the engine's layering"
  exit 1
fi
echo "check_layers: every engine include follows the layering"
