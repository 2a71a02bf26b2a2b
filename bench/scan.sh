#!/usr/bin/env bash
# Scan throughput: `clamdscan --stream` alone against Airlock's full engine
# set (clamav, yara, hashlist, filetype, archive, with SHA-256 in the same
# pass) through the real daemon, on the same generated CSV and the same
# private clamd. Prints both MB/s figures, their ratio and the daemon's peak
# RSS. A benchmark, not a test: run it by hand on a quiet machine.
#
#   bench/scan.sh                 # 1 GiB
#   BENCH_SIZE_MIB=256 bench/scan.sh
#   CLAMAV_DB=/var/lib/clamav bench/scan.sh   # ClamAV's real signatures
#   BENCH_ENGINES=clamav,yara bench/scan.sh   # a subset, to see who costs what
#
# Targets (issue 3): the full set at >= 0.9x clamd's INSTREAM throughput,
# and a daemon peak RSS under 200 MiB while it scans the file.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
BENCH_ENGINES=${BENCH_ENGINES:-clamav,yara,hashlist,filetype,archive}
# clamdscan --stream can only scan the file whole because the test clamd's
# StreamMaxLength is 4000M; Airlock's window is set to match (libclamav's
# cap, 2e9). BENCH_WINDOW_BYTES=25165824 shows Debian's stock 25M setting.
WINDOW=${BENCH_WINDOW_BYTES:-2000000000}
# shellcheck source=bench/daemon.sh
. "$ROOT/bench/daemon.sh"
start_bench
CLAMD_PID=""
now() { date +%s.%N; }

build_and_generate
start_clamd

# Warm the page cache, then the best of two runs.
cat "$WORK/data.csv" >/dev/null
best_clamd=""
for _ in 1 2; do
  t0=$(now)
  clamdscan --config-file="$WORK/clamd.conf" --stream --no-summary "$WORK/data.csv" >"$WORK/clamdscan.out"
  t1=$(now)
  secs=$(python3 -c "print($t1-$t0)")
  best_clamd=$(python3 -c "a='$best_clamd'; print(min(float(a), $secs) if a else $secs)")
done
grep -q ': OK$' "$WORK/clamdscan.out" || { log "clamdscan did not say OK:"; cat "$WORK/clamdscan.out" >&2; exit 1; }

log "starting airlock with every engine"
: > "$WORK/blocklist.sha256"
ENGINES=$(for engine in ${BENCH_ENGINES//,/ }; do
  printf '[[scanner.engines]]\ntype = "%s"\n' "$engine"
  case $engine in
    clamav) printf 'address = "tcp://127.0.0.1:%s"\nwindow_bytes = %s\n' "$CLAMD_PORT" "$WINDOW" ;;
    hashlist) printf 'files = ["%s"]\n' "$WORK/blocklist.sha256" ;;
  esac
  printf '\n'
done)
# The scan alone: no conversion beside it.
BENCH_PIPELINE="convert_while_scanning = false${BENCH_PIPELINE:+
$BENCH_PIPELINE}" deliver_to_airlock "$AIRLOCK" "$ENGINES"
# The scan, timed from the upload's acknowledgement until the file leaves
# `scanning`; the daemon's peak RSS (VmHWM) read at that moment.
read -r airlock_secs state hwm_kib _cpu < <(python3 "$ROOT/bench/wait_state.py" "$BASE/v1/files/$FILE" \
  "$TOKEN" "$DAEMON_PID" - checking,converting,published,rejected,held)
auth=(-H "authorization: Bearer $TOKEN")
verdicts=$(curl -sf "${auth[@]}" "$BASE/v1/files/$FILE" |
  python3 -c 'import json,sys; f=json.load(sys.stdin); print(" ".join(v["engine"]+"="+v["verdict"] for v in f["verdicts"]))')

python3 - "$BYTES" "$best_clamd" "$airlock_secs" "$hwm_kib" "$state" "$verdicts" "$DB" "$WINDOW" <<'EOF'
import sys
size, clamd, airlock, hwm, state, verdicts, db, window = sys.argv[1:]
size, clamd, airlock, hwm = int(size), float(clamd), float(airlock), int(hwm)
mb = size / 1e6
c, a = mb / clamd, mb / airlock
print(f"file:                 {size / 2**20:.0f} MiB CSV; clamd signatures from {db}; clamav window {window} bytes")
print(f"clamdscan --stream:   {clamd:7.2f} s  {c:8.1f} MB/s")
print(f"airlock, all engines: {airlock:7.2f} s  {a:8.1f} MB/s  ({verdicts}; state {state})")
print(f"ratio airlock/clamd:  {a / c:.2f}   (target >= 0.90: {'met' if a / c >= 0.9 else 'MISSED'})")
print(f"daemon peak RSS:      {hwm / 1024:.0f} MiB (target < 200: {'met' if hwm < 200 * 1024 else 'MISSED'})")
EOF
