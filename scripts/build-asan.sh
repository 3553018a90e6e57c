#!/usr/bin/env bash
# build-asan.sh [TARGET...]: configure and build the sanitizer tree, by default everything in it.
#
# One extra tree serves two purposes, so CI compiles it once:
#   - ASan and UBSan (-DRUNG_SANITIZE=address,undefined): make test-asan runs the unit tests and
#     the OCI suite against it, the fault tests with its faults/ twins;
#   - the libFuzzer targets (-DRUNG_FUZZ=ON, tests/fuzz): make fuzz.
# clang builds it: libFuzzer is clang's, and its ASan reports where UB and memory errors are the
# same as g++'s. ASAN_BUILD_DIR (default ./build-asan) is the tree; ccache is used if installed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${ASAN_BUILD_DIR:-$repo/build-asan}
args=(-DRUNG_WERROR=ON -DCMAKE_CXX_COMPILER=clang++ "-DRUNG_SANITIZE=address,undefined"
    -DRUNG_FUZZ=ON)
if command -v ccache >/dev/null; then
    export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$repo} CCACHE_NOHASHDIR=1
    args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
mkdir -p "$dir"
cmake -S "$repo" -B "$dir" "${args[@]}" >"$dir/configure.log" 2>&1 ||
    { tail -30 "$dir/configure.log" >&2; exit 1; }
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
