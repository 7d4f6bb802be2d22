#!/usr/bin/env bash
# Stages what scripts/gpu_check.sh needs on a GPU machine that lacks it, into .device-deps/ (ignored;
# carry it with the tree): headers and CMake configs of nlohmann-json and CLI11, yaml-cpp (its
# shared library, found through the build's RPATH), OpenSSL's libcrypto as a static library, and
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
# Debian's CMake config names the shared library; the build's RPATH finds it in the carried folder.
# Plain copies, no links: links may not travel (the SONAME file and the one the config names).
for f in /usr/lib/$arch/libyaml-cpp.so.*; do cp -L "$f" "$deps/lib/$arch/"; done
cp "/usr/lib/$arch/libcrypto.a" "$deps/lib/"
peer=${PEER:-../shared/peers/ref_distill.py}
[ -f "$peer" ] && cp "$peer" "$deps/peers/"
du -sh "$deps"
