#!/usr/bin/env python3
"""The approval bench's API helper (stdlib only). Pages through GET /v1/drafts, `limit=500`,
following `next` (CONTRACT §5).

  drafts.py approvals URL TOKEN OUT     pending drafts -> OUT, one http_load line each:
                                        /v1/drafts/ID/approve<TAB>{"version":N}, in a shuffled
                                        (seeded) order; prints how many and one draft id
  drafts.py states URL TOKEN            every draft's state, counted: "sent 10000 ..."
  drafts.py sink URL                    the sink's replies: total, distinct Idempotency-Keys,
                                        signatures ok, answered 200
"""
import json
import random
import sys
import urllib.parse
import urllib.request


def get(url, token=None):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


def drafts(base, token, state=None):
    after = None
    while True:
        url = base + "/v1/drafts?limit=500" + (f"&state={state}" if state else "")
        if after:
            url += "&after=" + urllib.parse.quote(after)
        page = get(url, token)
        yield from page["drafts"]
        after = page["next"]
        if not after:
            return


def main():
    what = sys.argv[1]
    if what == "approvals":
        base, token, out = sys.argv[2:5]
        pending = [(d["id"], d["version"]) for d in drafts(base, token, "pending")]
        random.Random(20261124).shuffle(pending)
        with open(out, "w") as f:
            for draft_id, version in pending:
                f.write(f"/v1/drafts/{draft_id}/approve\t{json.dumps({'version': version})}\n")
        print(len(pending), pending[0][0] if pending else "-")
    elif what == "states":
        base, token = sys.argv[2:4]
        counts = {}
        for d in drafts(base, token):
            counts[d["state"]] = counts.get(d["state"], 0) + 1
        print(" ".join(f"{state} {n}" for state, n in sorted(counts.items())) or "none")
    elif what == "sink":
        replies = get(sys.argv[2] + "/_sink/replies")
        keys = {r["idempotency_key"] for r in replies}
        print(f"replies {len(replies)} distinct {len(keys)} "
              f"signature_ok {sum(r['signature_ok'] for r in replies)} "
              f"answered_200 {sum(r['answered'] == 200 for r in replies)}")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
