"""Polls a delivered file until it reaches one of END (comma-separated
states) and prints: the seconds since START was first seen ("-": since the
call), the final state, the daemon's peak RSS in KiB (VmHWM) and the CPU
seconds the daemon used over the same span (user + system).
Usage: wait_state.py FILE_URL TOKEN DAEMON_PID START END"""
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


start = time.monotonic() if start_state == "-" else None
cpu_start = cpu() if start is not None else None
while True:
    state = json.load(urllib.request.urlopen(req))["state"]
    if start is None and state == start_state:
        start, cpu_start = time.monotonic(), cpu()
    if state in ends:
        break
    time.sleep(0.01)
elapsed = time.monotonic() - (start if start is not None else time.monotonic())
used = cpu() - cpu_start if cpu_start is not None else 0.0
hwm = next(l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM"))
print(f"{elapsed:.3f}", state, hwm, f"{used:.2f}")
