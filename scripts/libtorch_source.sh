# Which LibTorch this checkout builds against, and into which folder. Sourced by setup.sh, test.sh
# and run.sh, so the three agree.
#   DISTILL_LIBTORCH=debian  Debian's libtorch-dev 1.13 (CPU), built into build/
#   DISTILL_LIBTORCH=pypi    PyPI's torch wheel (LibTorch 2.x with CUDA, pinned in
#                            scripts/torch-requirements.txt) in .venv-torch/, built into build-torch/
# Unset: pypi where nvidia-smi finds a GPU, debian elsewhere. DISTILL_BUILD_DIR overrides the folder.
if [ -z "${DISTILL_LIBTORCH:-}" ]; then
  if command -v nvidia-smi > /dev/null 2>&1 && nvidia-smi -L > /dev/null 2>&1; then
    DISTILL_LIBTORCH=pypi
  else
    DISTILL_LIBTORCH=debian
  fi
fi
case "$DISTILL_LIBTORCH" in
  debian) DISTILL_BUILD_DIR=${DISTILL_BUILD_DIR:-build} ;;
  pypi) DISTILL_BUILD_DIR=${DISTILL_BUILD_DIR:-build-torch} ;;
  *)
    echo "DISTILL_LIBTORCH must be debian or pypi, not '$DISTILL_LIBTORCH'" >&2
    exit 2
    ;;
esac
export DISTILL_LIBTORCH DISTILL_BUILD_DIR
