#!/usr/bin/env bash
# Approvals under load (PERFORMANCE.md: >= 2,000 decisions/s and p99 < 25 ms with 16 concurrent
# approvers). One round:
#
#   1. rapportd (release build, durable SQLite) with one generic account whose reply_url is a
#      local `rapport-reply-sink --quiet`, one approver, and a playbook that drafts a reply to
#      every message; the send limits set out of the way (max_sends_per_hour 1,000,000;
#      sends_per_minute 100,000, the most the config accepts).
#   2. Seed: 10,000 signed webhooks (bench/ingest/gen_signed.py, CONTRACT §5.3) -> 10,000
#      pending drafts.
#   3. List them (GET /v1/drafts?state=pending&limit=500, following `next`) into one approval
#      request per draft, shuffled: POST /v1/drafts/{id}/approve {"version": N} with the bearer.
#   4. Ceiling: nginx answering a fixed 200 (a body as long as rapportd's answer) to the same
#      requests.
#   5. Approve: bench/http_load sends each approval once, 16 keep-alive connections, one request
#      in flight on each, disjoint drafts: decisions/s, p50/p99/max, errors (anything but 200).
#   6. The dispatcher: from the first approval until the sink holds all 10,000 replies
#      (GET /_sink/count) -> sends/s; then the drafts' states via the API (all `sent`), and the
#      sink's replies (distinct Idempotency-Keys, signatures).
#      With DISPATCH=0 (below) sending is paused until the approvals are done, so this times
#      the dispatcher alone, from POST /v1/resume.
#   7. nginx again, now that the machine is quiet from the dispatcher.
#
#   bench/approval/run.sh [DRAFTS] [CONNECTIONS]       (defaults 10000 16)
#
# RAPPORTD_THREADS sets server.threads (default 2, as bench/ingest); NO_BUILD=1 skips the
# build; KEEP=1 keeps the work directory (config, logs, database) and prints where it is;
# PERF=FILE records `perf record --call-graph dwarf` of rapportd (PERF_FREQ samples/s, default
# 499) from the first approval until the last reply (`perf report -i FILE`); DISPATCH=0 pauses
# sending (POST /v1/pause) while approving, to see the approvals on their own, and resumes it
# afterwards to time the dispatcher draining the backlog on its own (PERF then records the
# approvals only).
# Needs nginx and python3 (apt-get install nginx-light python3). Run it a few times and take
# medians: each round starts from an empty database.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
drafts=${1:-10000}
connections=${2:-16}
rapportd_threads=${RAPPORTD_THREADS:-2}
dispatch=${DISPATCH:-1}

for tool in nginx python3 curl; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
        { echo "approval: $tool is missing (apt-get install nginx-light python3 curl)" >&2; exit 1; }
done
if [ "${NO_BUILD:-0}" != 1 ]; then
    cmake --preset release >/dev/null
    cmake --build --preset release --target rapportd rapport-reply-sink http_load >/dev/null
fi
bin=build/release
load=$bin/bench/http_load

work=$(mktemp -d)
cleanup() {
    kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true
    if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, in clock ticks
field() { awk -v k="$1" '$1 == k {print $2}' "$2"; }
statuses() { grep '^status ' "$1" | awk '{printf "%s%s:%s", sep, $2, $3; sep=" "}'; }
export RAPPORT_SECRET_BENCH_HMAC=bench-secret RAPPORT_SECRET_BENCH_TOKEN=bench-token

# The sink: checks each reply's signature with the account's secret, answers 200.
sink_port=$(free_port)
$bin/tests/fakes/rapport-reply-sink --port "$sink_port" --secret-env RAPPORT_SECRET_BENCH_HMAC \
    --quiet 2>"$work/sink.log" &
echo $! > "$work/sink.pid"

# rapportd: one generic account, one approver, one rule that drafts a reply to every message.
rapportd_port=$(free_port)
mkdir -p "$work/playbooks"
cat > "$work/playbooks/bench.yaml" <<'YAML'
playbook: bench-approval
brand: {name: Kestrel}
rules:
  - id: answer-everyone
    when: {kind: [mention]}
    then:
      team: support
      reply: "Thanks {{author.first_name}}, we read every message and will get back to you today."
YAML
cat > "$work/rapport.yaml" <<CONF
server: {listen: "127.0.0.1:$rapportd_port", threads: $rapportd_threads}
state: $work/state
playbooks: $work/playbooks
approvers: [{name: bench, token_secret: bench-token, teams: [support], admin: true}]
guardrails: {max_sends_per_hour: 1000000}
accounts:
  - {id: bench, platform: generic, secret: bench-hmac, sends_per_minute: 100000,
     reply_url: "http://127.0.0.1:$sink_port/replies"}
CONF
$bin/daemon/rapportd/rapportd --config "$work/rapport.yaml" 2>"$work/rapportd.log" &
echo $! > "$work/rapportd.pid"
rapportd_pid=$(cat "$work/rapportd.pid")
api="http://127.0.0.1:$rapportd_port"
sink="http://127.0.0.1:$sink_port"
for _ in $(seq 100); do curl -sf "$api/readyz" >/dev/null && curl -sf "$sink/_sink/count" >/dev/null && break; sleep 0.1; done
curl -sf "$api/readyz" >/dev/null || { echo "approval: rapportd did not start:" >&2; cat "$work/rapportd.log" >&2; exit 1; }

echo "== seeding $drafts pending drafts (signed webhooks, $connections connections)"
python3 bench/ingest/gen_signed.py "$drafts" bench-secret "$work/signed.txt"
awk -F'\t' '{print "/hooks/bench\tX-Rapport-Timestamp: " $1 "\tX-Rapport-Signature: " $2 "\t" $3}' \
    "$work/signed.txt" > "$work/hooks.txt"
$load --url "$api" --requests "$work/hooks.txt" -c "$connections" > "$work/seed.out" ||
    { echo "approval: seeding failed:" >&2; cat "$work/seed.out" >&2; exit 1; }
read -r listed first_id < <(python3 bench/approval/drafts.py approvals "$api" bench-token "$work/approvals.txt")
[ "$listed" = "$drafts" ] || { echo "approval: $listed pending drafts listed, not $drafts" >&2; exit 1; }
sink_count() { curl -sf "$sink/_sink/count" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }
sent_before=$(sink_count)
answer_bytes=$(curl -sf -H 'Authorization: Bearer bench-token' "$api/v1/drafts/$first_id" | wc -c)

# nginx: the ceiling, answering every request with a fixed 200 as long as rapportd's answer.
nginx_port=$(free_port)
mkdir -p "$work/nginx"
pad=$(head -c $((answer_bytes > 12 ? answer_bytes - 12 : 1)) /dev/zero | tr '\0' x)
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/nginx;
    server {
        listen 127.0.0.1:$nginx_port;
        location / { default_type application/json; return 200 '{"pad":"$pad"}'; }
    }
}
CONF
/usr/sbin/nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"
nginx_run() { # OUT
    $load --url "http://127.0.0.1:$nginx_port" --requests "$work/approvals.txt" -c "$connections" \
        -H 'Authorization: Bearer bench-token' > "$1" || true
}
echo "== nginx, fixed 200 ($answer_bytes bytes)"
nginx_run "$work/nginx-1.out"

echo "== approving $drafts drafts ($connections connections)"
sending() { curl -sf -X POST -d '' -H 'Authorization: Bearer bench-token' "$api/v1/$1" >/dev/null; }
[ "$dispatch" = 1 ] || sending pause
if [ -n "${PERF:-}" ]; then
    perf record -q -F "${PERF_FREQ:-499}" --call-graph dwarf,16384 -p "$rapportd_pid" -o "$PERF" 2>"$work/perf.log" &
    echo $! > "$work/perf.pid"
    sleep 0.5
fi
cpu_before=$(cpu_ticks "$rapportd_pid")
$load --url "$api" --requests "$work/approvals.txt" -c "$connections" \
    -H 'Authorization: Bearer bench-token' --sample "$work/answer.json" > "$work/approve.out" || true
cpu_approved=$(cpu_ticks "$rapportd_pid")
stop_perf() {
    if [ -f "$work/perf.pid" ]; then
        kill -INT "$(cat "$work/perf.pid")"
        while kill -0 "$(cat "$work/perf.pid")" 2>/dev/null; do sleep 0.1; done
        rm "$work/perf.pid"
    fi
}
[ "$dispatch" = 1 ] || stop_perf
sent_at_end=$(sink_count)
if [ "$dispatch" != 1 ]; then
    echo "== resuming sending: the dispatcher drains alone"
    drain_start_ns=$(date +%s%N)
    sending resume
fi
echo "== waiting for the dispatcher ($sent_at_end sent when the last decision was answered)"
# One line a poll: Unix ns, replies at the sink (for the send rate as the backlog drains).
for _ in $(seq 3000); do
    count=$(sink_count || echo 0)
    echo "$(date +%s%N) $count" >> "$work/sink-timeline.txt"
    [ "$count" -ge "$drafts" ] && break
    sleep 0.1
done
cpu_after=$(cpu_ticks "$rapportd_pid")
stop_perf
sink_count=$(curl -sf "$sink/_sink/count")
states=$(python3 bench/approval/drafts.py states "$api" bench-token)
replies=$(python3 bench/approval/drafts.py sink "$sink")

echo "== nginx again"
nginx_run "$work/nginx-2.out"

# Figures.
approve_start_ns=$(field start_ns "$work/approve.out")
read -r sink_n sink_first_ns sink_last_ns < <(python3 -c '
import json, sys; c = json.loads(sys.argv[1]); print(c["count"], c["first_ns"], c["last_ns"])' "$sink_count")
if [ "$dispatch" = 1 ] && [ "$sink_n" -gt 0 ]; then
    sends=$(awk -v n="$sink_n" -v a="$approve_start_ns" -v z="$sink_last_ns" 'BEGIN {printf "%.0f", n / ((z - a) / 1e9)}')
    sink_rate=$(awk -v n="$sink_n" -v a="$sink_first_ns" -v z="$sink_last_ns" 'BEGIN {printf "%.0f", n / ((z - a) / 1e9)}')
    drain_s=$(awk -v a="$approve_start_ns" -v z="$sink_last_ns" 'BEGIN {printf "%.2f", (z - a) / 1e9}')
    # Send rate while the first half of the drafts went out, and while the second half did.
    halves=$(awk -v a="$approve_start_ns" -v n="$drafts" '
        $2 >= n / 2 && !h {h = $1; hc = $2}
        END {if (h && $1 > h) printf "%.0f /s then %.0f /s", hc / ((h - a) / 1e9), ($2 - hc) / (($1 - h) / 1e9)}' \
        "$work/sink-timeline.txt")
    dispatcher="$sink_n replies at $sends sends/s (first approval -> last reply at the sink, ${drain_s} s)
                                      sink-side $sink_rate /s; first half of the drafts then second: $halves
                                      $sent_at_end sent when the last decision was answered; $sent_before before approving"
else
    drain=$((sink_n - sent_at_end))
    drain_rate=$(awk -v n="$drain" -v a="$drain_start_ns" -v z="$sink_last_ns" 'BEGIN {printf "%.0f", n / ((z - a) / 1e9)}')
    dispatcher="paused while approving (DISPATCH=0): $sent_at_end sent
                                      alone after POST /v1/resume: $drain replies at $drain_rate sends/s, $(awk -v a="$cpu_approved" -v z="$cpu_after" -v t="$(getconf CLK_TCK)" -v n="$drain" 'BEGIN {printf "%.0f", (z - a) / t * 1e6 / n}') us CPU per send"
fi
ticks=$(getconf CLK_TCK)
cpu_us=$(awk -v b="$cpu_before" -v a="$cpu_after" -v t="$ticks" -v n="$drafts" 'BEGIN {printf "%.0f", (a - b) / t * 1e6 / n}')
cpu_approving_s=$(awk -v b="$cpu_before" -v a="$cpu_approved" -v t="$ticks" 'BEGIN {printf "%.2f", (a - b) / t}')
cpu_all_s=$(awk -v b="$cpu_before" -v a="$cpu_after" -v t="$ticks" 'BEGIN {printf "%.2f", (a - b) / t}')
if [ "$dispatch" = 1 ]; then
    cpu_line="${cpu_approving_s} s while approving, ${cpu_all_s} s until the last reply ($cpu_us us per draft)"
else
    cpu_line="${cpu_approving_s} s while approving ($(awk -v s="$cpu_approving_s" -v n="$drafts" 'BEGIN {printf "%.0f", s * 1e6 / n}') us per decision)"
fi
n1=$(field rate "$work/nginx-1.out"); n2=$(field rate "$work/nginx-2.out")
ceiling=$(awk -v a="$n1" -v b="$n2" 'BEGIN {print (a > b ? a : b)}')
rate=$(field rate "$work/approve.out")
p99=$(field p99_ms "$work/approve.out")
verdict=$(awk -v r="$rate" -v p="$p99" -v e="$(field errors "$work/approve.out")" 'BEGIN {
    print ((r >= 2000 && p < 25 && e == 0) ? "met" : "MISSED")}')
cat <<REPORT

== summary ($(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $drafts drafts, $connections connections, rapportd threads $rapportd_threads)
seeding (signed webhooks -> drafts):  $(field rate "$work/seed.out") /s, p99 $(field p99_ms "$work/seed.out") ms, statuses $(statuses "$work/seed.out")
nginx fixed 200, before / after:      $n1 /s (p50 $(field p50_ms "$work/nginx-1.out"), p99 $(field p99_ms "$work/nginx-1.out") ms) / $n2 /s (p50 $(field p50_ms "$work/nginx-2.out"), p99 $(field p99_ms "$work/nginx-2.out") ms)
rapportd approvals:                   $rate decisions/s in $(field seconds "$work/approve.out") s
  latency:                            p50 $(field p50_ms "$work/approve.out") ms, p90 $(field p90_ms "$work/approve.out") ms, p99 $p99 ms, max $(field max_ms "$work/approve.out") ms
  statuses:                           $(statuses "$work/approve.out"); errors $(field errors "$work/approve.out") (transport $(field transport_errors "$work/approve.out"))
  ratio to the better nginx:          $(awk -v a="$rate" -v b="$ceiling" 'BEGIN {printf "%.3f", a / b}')
  target (>= 2,000/s, p99 < 25 ms):   $verdict
dispatcher:                           $dispatcher
rapportd CPU:                         $cpu_line
drafts by state (API):                $states
sink:                                 $replies
REPORT
