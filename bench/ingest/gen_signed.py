#!/usr/bin/env python3
"""Writes N signed generic webhooks for wrk: one line each, TIMESTAMP<TAB>SIGNATURE<TAB>BODY.

Every message has its own id, so rapportd stores each one (a repeat would be a cheap
duplicate). Signatures are CONTRACT 5.3's: sha256=HMAC(secret, timestamp + "." + body);
they stay valid for 300 s, so generate right before the run.
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
    "My Kestrel battery stopped working after a week, worst purchase",
    "How do I fit a child seat to the Kestrel Haul?",
    "I love my Kestrel Swift, best bike ever",
    "Day 30 of my e-bike commute, no regrets",
    "Still waiting for my order, three weeks now",
    "Kestrel Haul or Urban Arrow for two kids?",
    "#IWantAKestrel one day",
]
now = str(int(time.time()))
with open(out, "w") as f:
    for i in range(count):
        body = json.dumps({
            "id": f"bench-{now}-{i}",
            "kind": "mention",
            "text": rng.choice(texts) + f" ({i})",
            "author": {"id": f"p{rng.randrange(20000)}", "name": "Bench Person",
                       "followers": rng.randrange(5000)},
        }, separators=(",", ":"))
        sig = hmac.new(secret, (now + "." + body).encode(), hashlib.sha256).hexdigest()
        f.write(f"{now}\tsha256={sig}\t{body}\n")
