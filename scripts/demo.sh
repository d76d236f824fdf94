#!/usr/bin/env bash
# The demo: install what is missing, build, start rapportd on config/demo/ (SQLite under
# ./state), post the demo conversations to it as signed webhooks, and show how to list and
# approve the drafts that appear. rapportd keeps running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
command -v curl >/dev/null || { echo "demo: curl is missing (apt-get install curl)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "demo: openssl is missing (apt-get install openssl)" >&2; exit 1; }

cmake --preset release >/dev/null
cmake --build --preset release --target rapportd rapportctl rapport-reply-sink
rapportd=build/release/daemon/rapportd/rapportd
sink=build/release/tests/fakes/rapport-reply-sink

# The site's chat, standing in as the receiver of approved replies (the account's reply_url):
# it checks each reply's signature and prints it here, and the draft notifications too.
RAPPORT_DEMO_SINK_SECRET=$(cat config/demo/secrets/kestrel-site-hmac) \
RAPPORT_DEMO_NOTIFY_SECRET=$(cat config/demo/secrets/notify-hmac) \
    "$sink" --port 8099 --secret-env RAPPORT_DEMO_SINK_SECRET \
    --notify-secret-env RAPPORT_DEMO_NOTIFY_SECRET 2>/dev/null &
receiver=$!

mkdir -p state
"$rapportd" --config config/demo/rapport.yaml --check
"$rapportd" --config config/demo/rapport.yaml &
daemon=$!
trap 'kill -TERM $daemon $receiver 2>/dev/null; wait $daemon $receiver 2>/dev/null' EXIT INT TERM
for _ in $(seq 50); do
    curl -sf http://127.0.0.1:8080/readyz >/dev/null && break
    sleep 0.2
done

# Each conversation line, signed as CONTRACT §5.3 says, to the site's generic account.
key=$(cat config/demo/secrets/kestrel-site-hmac)
while IFS= read -r body; do
    ts=$(date +%s)
    sig=$(printf '%s' "$ts.$body" | openssl dgst -sha256 -hmac "$key" | sed 's/^.*= //')
    curl -s -X POST http://127.0.0.1:8080/hooks/kestrel-site \
        -H "X-Rapport-Timestamp: $ts" -H "X-Rapport-Signature: sha256=$sig" \
        --data-binary "$body" >/dev/null
done < config/demo/conversations.jsonl

cat <<'TEXT'

rapportd is running on http://127.0.0.1:8080 with the demo conversations stored.
In another terminal:

  export RAPPORT_TOKEN=demo-approver-token
  curl -s -H "Authorization: Bearer $RAPPORT_TOKEN" 'http://127.0.0.1:8080/v1/drafts?state=pending'
  curl -s -X POST -H "Authorization: Bearer $RAPPORT_TOKEN" \
       http://127.0.0.1:8080/v1/drafts/DRAFT_ID/approve -d '{"text": "your edited reply"}'

The approved reply is sent to the site's chat, which prints it below in this terminal
("reply d-... to message ..."); the draft's state becomes "sent":

  curl -s -H "Authorization: Bearer $RAPPORT_TOKEN" http://127.0.0.1:8080/v1/drafts/DRAFT_ID
  curl -s http://127.0.0.1:8080/metrics | grep ^rapport_

Ctrl-C stops rapportd (it drains and closes the store; the drafts stay in ./state).
TEXT
wait $daemon
