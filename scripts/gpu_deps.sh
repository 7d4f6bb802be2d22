#!/usr/bin/env bash
# Stages what scripts/gpu_check.sh needs on a GPU machine that lacks it, into .device-deps/ (ignored;
# carry it with the tree): headers and CMake configs of nlohmann-json and CLI11, yaml-cpp and
# OpenSSL's libcrypto as static libraries (no runtime dependency on that machine's versions), and
# the Python peer (read from ../shared, never committed). Run here, on Debian, after setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
deps=.device-deps
arch=$(gcc -print-multiarch)
rm -rf "$deps"
mkdir -p "$deps/include" "$deps/share/cmake" "$deps/lib/$arch/cmake" "$deps/lib" "$deps/peers"
cp -r /usr/include/nlohmann /usr/include/CLI /usr/include/yaml-cpp /usr/include/openssl "$deps/include/"
cp -r "/usr/include/$arch/openssl" "$deps/include/openssl-arch"
cp "$deps"/include/openssl-arch/* "$deps/include/openssl/" && rm -rf "$deps/include/openssl-arch"
cp -r /usr/share/cmake/nlohmann_json /usr/share/cmake/CLI11 "$deps/share/cmake/"
cp -r "/usr/lib/$arch/cmake/yaml-cpp" "$deps/lib/$arch/cmake/"
cp "/usr/lib/$arch/libyaml-cpp.a" "$deps/lib/$arch/"
cp "/usr/lib/$arch/libcrypto.a" "$deps/lib/"
peer=${PEER:-../shared/peers/ref_distill.py}
[ -f "$peer" ] && cp "$peer" "$deps/peers/"
du -sh "$deps"
