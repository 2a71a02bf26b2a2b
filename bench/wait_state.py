"""Polls a delivered file until it reaches one of END (comma-separated
states) and prints: the seconds since START was first seen ("-": since the
call), the final state and the daemon's peak RSS in KiB (VmHWM).
Usage: wait_state.py FILE_URL TOKEN DAEMON_PID START END"""
import json
import sys
import time
import urllib.request

url, token, pid, start_state, end = sys.argv[1:]
ends = end.split(",")
req = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
start = time.monotonic() if start_state == "-" else None
while True:
    state = json.load(urllib.request.urlopen(req))["state"]
    if start is None and state == start_state:
        start = time.monotonic()
    if state in ends:
        break
    time.sleep(0.01)
elapsed = time.monotonic() - (start if start is not None else time.monotonic())
hwm = next(l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM"))
print(f"{elapsed:.3f}", state, hwm)
