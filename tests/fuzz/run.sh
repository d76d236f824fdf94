#!/usr/bin/env bash
# Builds the `fuzz` preset and runs every fuzz target for SECONDS_PER_TARGET seconds (default
# 60), one at a time. Each fuzzer works on its own corpus under build/fuzz/corpus-work/NAME,
# seeded from tests/fuzz/corpus/NAME (which this script never writes to); crashes, leaks and
# timeouts land in build/fuzz/artifacts/. Exits 1 when any target found something.
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     e.g. tests/fuzz/run.sh 300 query text
#
# Environment: RAPPORT_FUZZ_NO_BUILD=1 skips configure+build; RAPPORT_FUZZ_ARGS adds libFuzzer
# flags (later flags win), e.g. RAPPORT_FUZZ_ARGS="-seed=1 -only_ascii=1".
set -euo pipefail

seconds="${1:-60}"
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(playbook query template message text generic telegram meta slack slack_interactivity x)
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
build="$root/build/fuzz"
fuzz_bin="$build/tests/fuzz"
work="$build/corpus-work"
artifacts="$build/artifacts"
logs="$build/logs"

dict_for() {
    case "$1" in
        playbook) echo yaml.dict ;;
        message | generic | telegram | meta | slack | slack_interactivity | x) echo json.dict ;;
        *) echo "$1.dict" ;;
    esac
}

if [[ -z "${RAPPORT_FUZZ_NO_BUILD:-}" ]]; then
    cmake --preset fuzz
    cmake --build --preset fuzz --target $(printf 'fuzz_%s ' "${targets[@]}")
fi
mkdir -p "$work" "$artifacts" "$logs"

found=0
for name in "${targets[@]}"; do
    exe="$fuzz_bin/fuzz_$name"
    if [[ ! -x "$exe" ]]; then
        echo "run.sh: $exe not built" >&2
        exit 2
    fi
    mkdir -p "$work/$name"
    cp -n "$root/tests/fuzz/corpus/$name/"* "$work/$name/" 2>/dev/null || true
    # -malloc_limit_mb catches one huge allocation with its stack; -timeout a runaway input.
    args=(-max_total_time="$seconds" -max_len=4096 -timeout=20 -rss_limit_mb=4096
          -malloc_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/$name-")
    dict="$root/tests/fuzz/dict/$(dict_for "$name")"
    if [[ -f "$dict" ]]; then
        args+=(-dict="$dict")
    fi
    # shellcheck disable=SC2206  # word splitting wanted: several flags in one variable
    args+=(${RAPPORT_FUZZ_ARGS:-})
    log="$logs/$name.log"
    echo "== fuzz_$name for ${seconds}s (log: $log)"
    before=$(find "$artifacts" -name "$name-*" -type f | sort)
    # One process at a time: no -jobs/-workers, which would fork and log to fuzz-N.log.
    # The outer timeout is a backstop: on hitting -rss_limit_mb, ASan's heap profile of a
    # multi-gigabyte heap can take many minutes before libFuzzer writes the oom- file.
    set +e
    (cd "$build" && timeout -k 10 $((seconds + 300)) "$exe" "${args[@]}" "$work/$name") \
        >"$log" 2>&1
    status=$?
    set -e
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
    after=$(find "$artifacts" -name "$name-*" -type f | sort)
    new=$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d')
    if [[ $status -ne 0 || -n "$new" ]]; then
        found=1
        echo "!! fuzz_$name exited $status"
        if [[ $status -eq 124 || $status -eq 137 ]]; then
            echo "!! killed after $((seconds + 300))s (stuck reporting an out-of-memory?)"
        fi
        grep -E 'ERROR: |SUMMARY: |fuzz invariant violated|runtime error' "$log" | head -5 || true
        for f in $new; do
            echo "!! finding: $f"
        done
    fi
done
exit "$found"
