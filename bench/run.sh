#!/usr/bin/env bash
# Builds the release preset, generates the benchmark corpus (1,000 rules, 10,000 terms, 200,000
# posts), runs matcher_bench and engine_bench, then times `rapportctl simulate` end to end
# against the parse + scan baseline, interleaved A B A B so drift hits both (PERFORMANCE.md).
#
#   bench/run.sh [--rounds N] [--no-build]
#
# Works from any directory. Figures are printed and kept in build/release/bench-results/;
# record them in bench/RESULTS.md.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

rounds=3
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done
case "$rounds" in
    ''|*[!0-9]*|0) echo "run.sh: --rounds must be a positive number" >&2; exit 2 ;;
esac

die() { echo "run.sh: error: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is missing: $2"; }

need cmake "apt-get install cmake"
need ninja "apt-get install ninja-build"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing: apt-get install time"

# Single-core figures: the targets are per core, and pinning keeps the scheduler out of them.
pin=()
if command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null; then
    pin=(taskset -c 0)
else
    echo "run.sh: warning: taskset unavailable; running unpinned" >&2
fi

bin=build/release
if [ "$build" = 1 ]; then
    echo "== building the release preset"
    cmake --preset release >/dev/null || die "cmake --preset release failed"
    cmake --build --preset release || die "the release build failed (see above)"
fi
for tool in gen_corpus matcher_bench engine_bench baseline_scan; do
    [ -x "$bin/bench/$tool" ] || die "$bin/bench/$tool was not built (is RAPPORT_BENCH on?)"
done

corpus="$root/$bin/bench-corpus"
if [ -s "$corpus/playbook.yaml" ] && [ -s "$corpus/posts.jsonl" ]; then
    echo "== reusing the corpus in $corpus"
else
    echo "== generating the corpus in $corpus"
    "$bin/bench/gen_corpus" --out-dir "$corpus" || die "gen_corpus failed"
fi
playbook="$corpus/playbook.yaml"
posts_file="$corpus/posts.jsonl"
posts=$(wc -l < "$posts_file")
export RAPPORT_BENCH_CORPUS="$corpus"

out="$root/$bin/bench-results"
mkdir -p "$out"

# run_bench NAME: runs $bin/bench/NAME pinned, keeping its console output and JSON figures.
run_bench() {
    local name=$1
    echo "== $name"
    if ! "${pin[@]}" "$bin/bench/$name" --benchmark_out="$out/$name.json" \
            --benchmark_out_format=json 2>&1 | tee "$out/$name.txt"; then
        die "$name failed (output in $out/$name.txt)"
    fi
}

# field FILE BENCHMARK KEY: one value from a Google Benchmark JSON file (the "/min_time:N" that
# MinTime() adds to a name is ignored).
field() {
    awk -v want="\"$2\"," -v key="\"$3\":" '
        $1 == "\"name\":" { current = $2; sub(/\/min_time:[0-9.]+/, "", current) }
        current == want && $1 == key { gsub(/[",]/, "", $2); print $2; exit }' "$1"
}

run_bench matcher_bench
run_bench engine_bench

# ---- End to end: A = parse + scan baseline, B = rapportctl simulate ----
rapportctl="$bin/tools/rapportctl"
[ -x "$rapportctl" ] || die "$rapportctl was not built: tools/ must define the rapportctl target \
(the benchmarks above ran; their figures are in $out)"

cmd_a=("$bin/bench/baseline_scan" --playbooks "$playbook")
cmd_b=("$rapportctl" simulate --playbooks "$playbook")

# One untimed run each warms the page cache and checks that both answer every line.
check_output() {
    local label=$1
    shift
    local lines errors
    "${pin[@]}" "$@" < "$posts_file" > "$out/$label.out" 2> "$out/$label.stderr" ||
        die "$label failed (exit $?): $(tail -n 5 "$out/$label.stderr")"
    lines=$(wc -l < "$out/$label.out")
    errors=$(grep -c '^{"line":' "$out/$label.out" || true)
    [ "$lines" -eq "$posts" ] || die "$label wrote $lines lines for $posts posts"
    [ "$errors" -eq 0 ] ||
        die "$label rejected $errors posts, e.g. $(grep -m1 '^{"line":' "$out/$label.out")"
    head -n 1000 "$out/$label.out" > "$out/$label.sample.jsonl"
    rm -f "$out/$label.out"
}
echo "== end to end: checking both programs on $posts posts"
check_output baseline "${cmd_a[@]}"
check_output simulate "${cmd_b[@]}"

# timed LABEL CMD...: runs CMD on the posts, appending "milliseconds max_rss_kib" to LABEL.runs.
timed() {
    local label=$1
    shift
    local start end rss
    start=$(date +%s%N)
    /usr/bin/time -v -o "$out/$label.time" "${pin[@]}" "$@" < "$posts_file" > /dev/null \
        2> "$out/$label.stderr" || die "$label failed (exit $?): $(tail -n 5 "$out/$label.stderr")"
    end=$(date +%s%N)
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$out/$label.time")
    echo "$(( (end - start) / 1000000 )) $rss" >> "$out/$label.runs"
    awk -v l="$label" -v ms="$(( (end - start) / 1000000 ))" -v kib="$rss" \
        'BEGIN { printf "   %-9s %7.3f s   max RSS %7.1f MiB\n", l, ms / 1000, kib / 1024 }'
}
rm -f "$out/baseline.runs" "$out/simulate.runs"
for round in $(seq 1 "$rounds"); do
    echo "== end to end: round $round of $rounds"
    timed baseline "${cmd_a[@]}"
    timed simulate "${cmd_b[@]}"
done

# median FILE COLUMN
median() {
    awk -v c="$2" '{ print $c }' "$1" | sort -n |
        awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
a_ms=$(median "$out/baseline.runs" 1)
b_ms=$(median "$out/simulate.runs" 1)
a_rss=$(median "$out/baseline.runs" 2)
b_rss=$(median "$out/simulate.runs" 2)

eval_rate=$(field "$out/engine_bench.json" evaluate items_per_second)
load_ms=$(field "$out/engine_bench.json" load_playbook real_time)
first_load=$(sed -n 's/.*first load \([0-9.]*\) s.*/\1/p' "$out/engine_bench.txt" | head -n 1)
database=$(sed -n 's/.*matcher database \(.*\)$/\1/p' "$out/engine_bench.txt" | head -n 1)
# The playbook's footprint: engine_bench's resident memory just before and after the first load.
playbook_mib=$(awk '
    { rss = ""; for (i = 1; i < NF; i++) if ($i == "VmRSS") rss = $(i + 1) }
    rss != "" && /corpus read/ { before = rss }
    rss != "" && /playbook loaded/ { after = rss }
    END { if (after != "" && before != "") printf "%.1f", after - before }' "$out/engine_bench.txt")

# verdict VALUE OP LIMIT: "met" or "MISSED".
verdict() { awk -v v="$1" -v l="$3" -v op="$2" \
    'BEGIN { ok = op == "<" ? v + 0 < l + 0 : op == "<=" ? v + 0 <= l + 0 : v + 0 >= l + 0
             print (ok ? "met" : "MISSED") }'; }

{
    echo
    echo "== summary ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $posts posts)"
    echo "matcher, 10,000 terms, one core (posts/s):"
    for engine in vectorscan re2_set aho_corasick; do
        rate=$(field "$out/matcher_bench.json" "scan/$engine/10000" items_per_second)
        printf '  %-13s %12.0f\n' "$engine" "${rate:-0}"
    done
    printf 'playbook load: first %.3f s, repeated %.3f s (target < 0.5 s: %s)\n' \
        "${first_load:-0}" "$(awk -v ms="${load_ms:-0}" 'BEGIN { print ms / 1000 }')" \
        "$(verdict "${first_load:-99}" "<" 0.5)"
    printf 'playbook memory: resident +%s MiB, matcher database %s\n' \
        "${playbook_mib:-?}" "${database:-?}"
    printf 'evaluation alone, one core: %.0f messages/s (target >= 200,000: %s)\n' \
        "${eval_rate:-0}" "$(verdict "${eval_rate:-0}" ">=" 200000)"
    echo "end to end, median of $rounds interleaved rounds, pinned to one core:"
    for run in "A baseline_scan $a_ms $a_rss" "B rapportctl-simulate $b_ms $b_rss"; do
        read -r letter name ms rss <<< "$run"
        awk -v l="$letter" -v name="${name/-/ }" -v n="$posts" -v ms="$ms" -v kib="$rss" 'BEGIN {
            printf "  %s %-22s %7.3f s  %9.0f messages/s  max RSS %6.1f MiB\n",
                l, name, ms / 1000, n / (ms / 1000), kib / 1024 }'
    done
    ratio=$(awk -v a="$a_ms" -v b="$b_ms" 'BEGIN { printf "%.2f", b / a }')
    echo "  B/A = $ratio (target <= 3: $(verdict "$ratio" "<=" 3))"
} | tee "$out/summary.txt"
