"""Polls a delivered file until it reaches one of END (comma-separated
states) and prints: the seconds from START (the daemon's own time of the
change into START, or of the upload's acknowledgement when START is "-")
until the change into the end state, the final state, the daemon's peak
RSS in KiB (VmHWM) and the CPU seconds the daemon used from when START was
seen (user + system).

The times are the catalog's, not the poller's: each poll costs the daemon
a request (authentication, a policy decision, several queries), so the
poller asks every 10 ms only until START, to catch the CPU counter there,
and then every 100 ms, not to load the daemon it measures.
START may also be "@EPOCH@CPU": the caller's own clock and the daemon's
CPU seconds when it began (before an upload, say).
Usage: wait_state.py FILE_URL TOKEN DAEMON_PID START END"""
import datetime
import json
import os
import sys
import time
import urllib.request

url, token, pid, start_state, end = sys.argv[1:]
ends = end.split(",")
req = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
TICKS = os.sysconf("SC_CLK_TCK")


def cpu():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def at(stamp):
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


start = cpu_start = None
if start_state.startswith("@"):
    _, epoch, cpu_then = start_state.split("@")
    start, cpu_start = float(epoch), float(cpu_then)
while True:
    f = json.load(urllib.request.urlopen(req))
    if start is None and start_state == "-":
        start, cpu_start = at(f["created_at"]), cpu()
    if start is None and f["state"] in [start_state] + ends:
        start, cpu_start = at(f["updated_at"]), cpu()
    if f["state"] in ends:
        break
    time.sleep(0.01 if start is None else 0.1)
elapsed = at(f["updated_at"]) - start
used = cpu() - cpu_start
hwm = next(l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM"))
print(f"{elapsed:.3f}", f["state"], hwm, f"{used:.2f}")
