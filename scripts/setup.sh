#!/usr/bin/env bash
# Installs what the project needs (Debian packages, idempotent) and builds it into build/ (or, with
# DISTILL_LIBTORCH=pypi, against PyPI's LibTorch 2.x into build-torch/: scripts/libtorch_source.sh).
# Uses sudo when not run as root. Safe to run again: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/libtorch_source.sh

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev libopenblas0-pthread          # OpenBLAS: reference BLAS is ~33x slower for matmuls
  libgloo-dev                                # c10d's Gloo backend: data-parallel runs (train.processes)
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libsentencepiece-dev
  libssl-dev                                 # SHA-256 of a run's inputs (run.json)
  qt6-base-dev libqcustomplot-dev
  xvfb xauth
  zsh                                        # tst_cli_contract loads the zsh completion script
  clang-format python3                       # the formatting and code-budget tests, scripts/update_key_table.sh
  python3-venv python3-torch                 # .venv: PyPI's tensorboard and transformers read our files (tests)
)
# DISTILL_SETUP_EXTRA: more packages a script needs (the GUI walkthrough: xdotool, xwd, netpbm).
read -r -a extra <<< "${DISTILL_SETUP_EXTRA:-}"
PACKAGES+=("${extra[@]}")

missing=()
for p in "${PACKAGES[@]}"; do
  [[ "$p" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# DISTILL_SETUP_BUILD=0: packages only (scripts/sanitize.sh builds its own folder).
[ "${DISTILL_SETUP_BUILD:-1}" = 0 ] && exit 0

# ccache can reuse the LibTorch precompiled header only with these sloppiness settings.
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
export CCACHE_BASEDIR="$PWD"  # cache hits across clones in other folders
JOBS=$(nproc)
BUILD=$DISTILL_BUILD_DIR
cmake_args=()
if [ "$DISTILL_LIBTORCH" = pypi ]; then
  ./scripts/torch_env.sh
  torch_cmake=$(.venv-torch/bin/python -c 'import torch; print(torch.utils.cmake_prefix_path)' 2> /dev/null)
  # The wheel's own folder first: otherwise CMake finds Debian's /usr/lib/libtorch.so.
  cmake_args+=("-DCMAKE_PREFIX_PATH=$(dirname "$(dirname "$torch_cmake")");$torch_cmake")
fi
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cmake_args[@]}"
fi
# DISTILL_SETUP_TARGETS: build only these targets (run.sh: the two programs it may start, not the
# test executables); empty: everything.
read -r -a wanted <<< "${DISTILL_SETUP_TARGETS:-}"
targets=()
for t in "${wanted[@]}"; do  # a target this configuration lacks (no Qt: no workbench) is skipped
  ninja -C "$BUILD" -t query "$t" > /dev/null 2>&1 && targets+=("$t")
done
if ((${#targets[@]})); then
  cmake --build "$BUILD" -j "$JOBS" --target "${targets[@]}"
else
  cmake --build "$BUILD" -j "$JOBS"
fi
