#!/usr/bin/env bash
# Slack Events API ingest: rapportd (signature check, parsing, the example playbooks, every event
# stored durably: SQLite WAL, synchronous=FULL, group commit) against Slack's official Bolt for
# JavaScript receiver (@slack/bolt, its HTTP receiver: the same v0 signature check and
# five-minute window, then the acknowledgement, with one app_mention listener that does
# nothing), on the same machine, with the same load tool and connections, in alternating
# rounds. Each request is a distinct signed app_mention (gen_events.py), signed right before
# its round so every signature is inside Slack's five-minute window while the load runs.
#
#   bench/slack/run.sh [SECONDS] [CONNECTIONS] [ROUNDS]
#
# RAPPORTD_THREADS sets rapportd's server.threads (default 2). DRAFTS=1 lets the example care
# and delight playbooks serve the account, so most events also draft a reply. NO_BUILD=1 skips the release
# build of rapportd. Bolt is installed with `npm ci` from bolt/package-lock.json into
# bolt/node_modules (once; it stays there, ignored by git).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
seconds=${1:-10}
connections=${2:-64}
rounds=${3:-2}
threads=2
rapportd_threads=${RAPPORTD_THREADS:-2}
secret=bench-signing-secret-0123456789ab

for tool in wrk python3 node npm sqlite3; do
    command -v "$tool" >/dev/null ||
        { echo "slack bench: $tool is missing (apt-get install wrk python3 nodejs npm sqlite3)" >&2; exit 1; }
done
if [[ -z "${NO_BUILD:-}" ]]; then
    cmake --preset release >/dev/null
    cmake --build --preset release --target rapportd >/dev/null
fi
if [[ ! -d bench/slack/bolt/node_modules/@slack/bolt ]]; then
    (cd bench/slack/bolt && npm ci --no-audit --no-fund --loglevel=error)
fi
bolt_version=$(node -p "require('./bench/slack/bolt/node_modules/@slack/bolt/package.json').version")

work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # URL-or-port-check command...
    for _ in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    [[ -f "$work/rapportd.log" ]] && cat "$work/rapportd.log" >&2
    echo "slack bench: not ready: $*" >&2; return 1
}

# Bolt: its own HTTP receiver at /slack/events.
bolt_port=$(free_port)
SIGNING_SECRET=$secret PORT=$bolt_port node bench/slack/bolt/app.js 2>"$work/bolt.log" &
echo $! > "$work/bolt.pid"
wait_for grep -q "listening port=" "$work/bolt.log"

# rapportd: one slack account and the example playbooks, in a copy: they name their accounts,
# and the mastodon and x accounts they name become the slack one (their keys are not the
# point). So the listening and insights playbooks see every event, as they see every message;
# with DRAFTS=1 the care and delight playbooks serve it too, and most events draft a reply.
mkdir -p "$work/playbooks"
cp -r config/playbooks/. "$work/playbooks/"
served_by_care=kestrel-site
[[ -n "${DRAFTS:-}" ]] && served_by_care="kestrel-site, bench-slack"
sed -i -e "s/kestrel-site, kestrel-mastodon, kestrel-x/$served_by_care/" \
    -e 's/\[kestrel-mastodon, kestrel-x\]/[bench-slack]/' -e 's/\[kestrel-mastodon\]/[bench-slack]/' \
    "$work"/playbooks/*.yaml
rapportd_port=$(free_port)
cat > "$work/rapport.yaml" <<CONF
server: {listen: "127.0.0.1:$rapportd_port", threads: $rapportd_threads}
state: $work/state
playbooks: $work/playbooks
approvers: [{name: bench, token_secret: bench-token, teams: [support, social]}]
accounts:
  - {id: kestrel-site, platform: generic, secret: bench-hmac, reply_url: "http://127.0.0.1:9/r"}
  - {id: bench-slack, platform: slack, bot_token: bench-bot-token, signing_secret: bench-signing,
     bot_user_id: U0LAN0Z89, api_base_url: "http://127.0.0.1:9/api"}
CONF
export RAPPORT_SECRET_BENCH_HMAC=bench-hmac-value RAPPORT_SECRET_BENCH_TOKEN=bench-token \
    RAPPORT_SECRET_BENCH_BOT_TOKEN=xoxb-bench RAPPORT_SECRET_BENCH_SIGNING=$secret
build/release/daemon/rapportd/rapportd --config "$work/rapport.yaml" 2>"$work/rapportd.log" &
echo $! > "$work/rapportd.pid"
wait_for curl -sf "http://127.0.0.1:$rapportd_port/readyz"

# One signed event through each first: both must accept it (200), or the bench means nothing.
python3 bench/slack/gen_events.py 1 "$secret" "$work/check.txt"
IFS=$'\t' read -r ts sig body < "$work/check.txt"
for target in "$bolt_port/slack/events" "$rapportd_port/hooks/bench-slack"; do
    code=$(curl -s -o "$work/check.out" -w '%{http_code}' -X POST "http://127.0.0.1:$target" \
        -H 'Content-Type: application/json' -H "X-Slack-Request-Timestamp: $ts" \
        -H "X-Slack-Signature: $sig" --data-binary "$body")
    [[ $code == 200 ]] || { echo "slack bench: $target answered $code: $(cat "$work/check.out")" >&2; exit 1; }
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$target" \
        -H 'Content-Type: application/json' -H "X-Slack-Request-Timestamp: $ts" \
        -H "X-Slack-Signature: v0=$(printf '0%.0s' $(seq 64))" --data-binary "$body")
    [[ $code == 401 ]] || { echo "slack bench: $target took a bad signature ($code)" >&2; exit 1; }
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() { # NAME PORT PATH FILE PID
    local before after
    before=$(cpu_ticks "$5")
    wrk -t$threads -c"$connections" -d"${seconds}s" --latency -s bench/slack/events.lua \
        "http://127.0.0.1:$2" -- "$4" "$threads" "$3" > "$work/$1.out"
    after=$(cpu_ticks "$5")
    local rps p99 ok total cpu_us
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/$1.out")
    p99=$(awk '/^p50_ms/ {print $4}' "$work/$1.out")
    ok=$(awk '/^status 200/ {n += $3} END {print n + 0}' "$work/$1.out")
    total=$(awk '/requests in/ {print $1}' "$work/$1.out")
    # The server's own CPU (user + system, all its threads) per request answered: what the
    # other work on a shared machine moves least.
    cpu_us=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$total" \
        'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
    echo "$1 $rps $p99 $cpu_us $ok $(grep '^status' "$work/$1.out" | tr '\n' ' ')"
}

per_round=$((seconds * 30000))
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
results=()
for round in $(seq "$rounds"); do
    for who in bolt rapportd; do
        # Signed now, so the whole round runs inside the five-minute window.
        python3 bench/slack/gen_events.py "$per_round" "$secret" "$work/events.txt"
        if [[ $who == bolt ]]; then
            results+=("$(run bolt "$bolt_port" /slack/events "$work/events.txt" "$(cat "$work/bolt.pid")")")
        else
            results+=("$(run rapportd "$rapportd_port" /hooks/bench-slack "$work/events.txt" \
                "$(cat "$work/rapportd.pid")")")
        fi
        echo "${results[-1]}"
    done
done
printf '%s\n' "${results[@]}" > "$work/results.txt"
best() { awk -v w="$1" '$1==w {if ($2>m) {m=$2; p=$3; c=$4}} END {print m, p, c}' "$work/results.txt"; }
read -r bolt_rps bolt_p99 bolt_cpu <<<"$(best bolt)"
read -r rapportd_rps rapportd_p99 rapportd_cpu <<<"$(best rapportd)"
stored=$(sqlite3 "$work/state/rapport.db" 'select count(*) from messages' 2>/dev/null || echo "?")
drafts=$(sqlite3 "$work/state/rapport.db" 'select count(*) from drafts' 2>/dev/null || echo "?")
cat <<REPORT

== summary ($(date -u +%FT%TZ), $(nproc) cores, wrk -t$threads -c$connections -d${seconds}s, $rounds rounds, rapportd threads $rapportd_threads, DRAFTS=${DRAFTS:-0}, @slack/bolt $bolt_version on node $(node --version))
load average before: $load_before
rounds (name requests/s p99_ms cpu_us_per_request 200s statuses):
$(sed 's/^/  /' "$work/results.txt")
Bolt receiver, verify + ack:           $bolt_rps requests/s, p99 $bolt_p99 ms, $bolt_cpu us CPU/request (best round)
rapportd, verify + parse + store:      $rapportd_rps requests/s, p99 $rapportd_p99 ms, $rapportd_cpu us CPU/request (best round)
ratio rapportd / Bolt:                 $(awk -v a="$rapportd_rps" -v b="$bolt_rps" 'BEGIN {printf "%.2f", a / b}') (target >= 5); CPU per request Bolt / rapportd: $(awk -v a="$bolt_cpu" -v b="$rapportd_cpu" 'BEGIN {printf "%.2f", a / b}')
messages stored by rapportd:           $stored (drafts: $drafts)
REPORT
