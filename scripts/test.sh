#!/usr/bin/env bash
# The whole test suite from a fresh checkout: install what is missing (Debian packages, and
# the npm test peers), build (warnings are errors), run every test in parallel, build the
# release preset's programs, then run every test again under AddressSanitizer + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
# Test peers from npm, exactly as their lockfiles pin them (nothing else is fetched at build or
# test time): telegram-test-api, the Bot API emulator of tests/integration/telegram_emulator_test.
for peer in tests/peers/*/; do
    (cd "$peer" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
done
jobs=$(nproc)

cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"
ctest --preset dev -j "$jobs"

# The optimised build of what ships and what the demo runs: GCC warns differently once it
# inlines. The tests run in the two builds around it, so they are not built here again.
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs" --target rapportd rapportctl rapport-reply-sink

if [ "${RAPPORT_SKIP_ASAN:-0}" != 1 ]; then
    cmake --preset asan >/dev/null
    cmake --build --preset asan -j "$jobs"
    ctest --preset asan -j "$jobs"
fi
