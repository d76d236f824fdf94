#!/usr/bin/env bash
# The shipped unit must stay hardened: systemd-analyze's offline security score at most 2.0
# (lower is better; 10 is an unsandboxed service).
set -euo pipefail
unit=${1:?usage: unit_security.sh UNIT_FILE}
if ! command -v systemd-analyze >/dev/null; then
    echo "systemd-analyze is missing (apt-get install systemd)" >&2
    exit 1
fi
line=$(systemd-analyze security --offline=true "$unit" 2>&1 | grep "Overall exposure level")
score=$(sed -E 's/.*: ([0-9]+\.[0-9]+).*/\1/' <<<"$line")
echo "$line"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || {
    echo "exposure $score is above 2.0: a hardening line was lost" >&2
    exit 1
}
