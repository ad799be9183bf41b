#!/usr/bin/env bash
# Builds moodmusic with ASan+UBSan and -Werror and runs every test (unit +
# end-to-end) with ctest. This is README command 2 and what CI runs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash tools/setup.sh
build=${MM_BUILD_DIR:-build-check}
cmake -S . -B "$build" -DMM_SANITIZE=ON -DMM_WERROR=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"$(nproc)"
# LMDB maps are reserved address space, not memory: ASan must not cap them.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
