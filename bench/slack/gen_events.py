#!/usr/bin/env python3
"""Writes N signed Slack Events API requests for wrk: one line each, TIMESTAMP<TAB>SIGNATURE<TAB>BODY.

Each is an event_callback carrying an app_mention of the bot (U0LAN0Z89) with its own event_id
and ts, so rapportd stores every one (a repeat would be a cheap duplicate). Signatures are
Slack's v0: "v0=" + HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + body); Slack's
receivers accept them for 300 s, so generate right before the run.

    gen_events.py COUNT SIGNING_SECRET OUT_FILE
"""
import hashlib
import hmac
import json
import random
import sys
import time

count, secret, out = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
rng = random.Random(20261124)
texts = [
    "<@U0LAN0Z89> my Kestrel battery stopped working after a week, worst purchase",
    "<@U0LAN0Z89> how do I fit a child seat to the Kestrel Haul?",
    "<@U0LAN0Z89> I love my Kestrel Swift, best bike ever",
    "hey <@U0LAN0Z89>, still waiting for my order, three weeks now",
    "<@U0LAN0Z89> Kestrel Haul or Urban Arrow for two kids? &lt;asking for a friend&gt;",
]
now = int(time.time())
channels = ["C0BENCH%02d" % c for c in range(20)]
with open(out, "w") as f:
    for i in range(count):
        ts = "%d.%06d" % (now, i)
        channel = rng.choice(channels)
        event = {
            "type": "app_mention",
            "user": "U%08d" % rng.randrange(20000),
            "text": rng.choice(texts),
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
            "team": "T123ABC456",
        }
        body = json.dumps({
            "token": "XXYYZZ",
            "team_id": "T123ABC456",
            "api_app_id": "A123ABC456",
            "event": event,
            "type": "event_callback",
            "event_id": "Ev%dB%07d" % (now, i),
            "event_time": now,
            "authorizations": [{"enterprise_id": None, "team_id": "T123ABC456",
                                "user_id": "U0LAN0Z89", "is_bot": True,
                                "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
        }, separators=(",", ":"))
        sig = hmac.new(secret, ("v0:%d:" % now + body).encode(), hashlib.sha256).hexdigest()
        f.write(f"{now}\tv0={sig}\t{body}\n")
