#!/usr/bin/env bash
# The whole test suite from a fresh checkout: install what is missing, build (warnings are
# errors), run every test in parallel, build the release preset, then run every test again
# under AddressSanitizer + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
jobs=$(nproc)

cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"
ctest --preset dev -j "$jobs"

# The optimised build the demo and the benchmarks use: GCC warns differently once it inlines.
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"

if [ "${RAPPORT_SKIP_ASAN:-0}" != 1 ]; then
    cmake --preset asan >/dev/null
    cmake --build --preset asan -j "$jobs"
    ctest --preset asan -j "$jobs"
fi
