"""Runs a command and prints its wall time in seconds, its peak RSS in KiB
(the child's ru_maxrss) and its CPU seconds (user + system), space-separated.
Usage: measure.py CMD [ARG...]"""
import os
import subprocess
import sys
import time

t0 = time.monotonic()
# The child's own output (progress bars) must not mix with the figures.
proc = subprocess.Popen(sys.argv[1:], stdout=sys.stderr)
_, status, usage = os.wait4(proc.pid, 0)
elapsed = time.monotonic() - t0
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit(f"{sys.argv[1:]} failed with {status}")
print(f"{elapsed:.3f} {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime:.2f}")
