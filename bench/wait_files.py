"""Polls an acquisition's deliveries until COUNT of them are in a final
state and prints: the seconds since START (the caller's clock, before the
first upload), then each final state with its count.
Usage: wait_files.py BASE TOKEN ACQUISITION COUNT START"""
import json
import sys
import time
import urllib.request

base, token, acq, count, start = sys.argv[1:]
count, start = int(count), float(start)
FINAL = {"published", "rejected", "awaiting_review"}


def page(before):
    url = f"{base}/v1/acquisitions/{acq}/files?limit=1000&before={before}"
    req = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
    return json.load(urllib.request.urlopen(req))


while True:
    files, before = [], ""
    while True:
        got = page(before)
        files += got
        if len(got) < 1000:
            break
        before = got[-1]["id"]
    states = {}
    for f in files:
        states[f["state"]] = states.get(f["state"], 0) + 1
    done = sum(n for s, n in states.items() if s in FINAL)
    if len(files) >= count and done >= count:
        break
    time.sleep(0.1)
print(f"{time.time() - start:.3f}", " ".join(f"{s}={n}" for s, n in sorted(states.items())))
