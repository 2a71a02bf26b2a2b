#!/usr/bin/env bash
# Many small files end to end: BENCH_FILES (1,000) CSVs of about 10 KiB,
# each different, through the real daemon with every engine (a private
# clamd, YARA-X, filetype, archive) and the checks, conversion and
# publication: once through the HTTP API (8 uploads at a time) and once
# through a drop folder (renamed in), each timed from the first byte sent
# until the last file is published. Prints files/s for each way in. A
# benchmark, not a test.
#
#   bench/small_files.sh
#   BENCH_FILES=200 bench/small_files.sh
#
# Target (issue 22): at least 100 files/s through each. The daemon runs
# BENCH_WORKERS pipeline workers (default 4).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
COUNT=${BENCH_FILES:-1000}
export BENCH_WORKERS=${BENCH_WORKERS:-4}
SIZE_MIB=1
# shellcheck source=bench/daemon.sh
. "$ROOT/bench/daemon.sh"
start_bench
CLAMD_PID=""
now() { date +%s.%N; }

build_and_generate
start_clamd

log "writing $COUNT files of about 10 KiB"
mkdir -p "$WORK/small" "$WORK/drop"
python3 - "$WORK/small" "$COUNT" <<'PY'
import sys
out, count = sys.argv[1], int(sys.argv[2])
for n in range(count):
    rows = ["id,region,people,rate"]
    i = 0
    while sum(len(r) + 1 for r in rows) < 10 * 1024:
        rows.append(f"{n * 1000 + i},r{i % 9},{(n * 7 + i * 13) % 5000},{(i * 0.37 + n) % 100:.2f}")
        i += 1
    open(f"{out}/f{n:05d}.csv", "w").write("\n".join(rows) + "\n")
PY

ENGINES=$(all_engines)
RESULTS="$WORK/results"
: > "$RESULTS"

log "through the HTTP API"
start_airlock "$AIRLOCK" "$ENGINES"
t0=$(now)
(cd "$WORK/small" && ls | xargs -P 8 -I{} curl -sf -o /dev/null -H "authorization: Bearer $TOKEN" \
  -T {} "$BASE/v1/acquisitions/$ACQ/files/{}")
read -r secs states < <(python3 "$ROOT/bench/wait_files.py" "$BASE" "$TOKEN" "$ACQ" "$COUNT" "$t0")
echo "http $secs $states" >> "$RESULTS"

log "through a drop folder"
kill "$DAEMON_PID" && wait "$DAEMON_PID" 2>/dev/null || true
cat >> "$WORK/airlock.toml" <<TOML

[[drop_folders]]
path = "$WORK/drop"
acquisition_id = "$ACQ"
stable_secs = 1
schedule = "*/5 * * * * *"
TOML
"$AIRLOCK" serve --config "$WORK/airlock.toml" >>"$WORK/airlock.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 600); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
# The same acquisition: its first COUNT deliveries are the HTTP ones, so
# the folder's are counted on top (renamed in: taken at once, whole).
mkdir -p "$WORK/drop/.incoming"
for f in "$WORK"/small/*.csv; do sed -e '1!s/$/,d/' -e '1s/$/,via/' "$f" > "$WORK/drop/.incoming/$(basename "$f")"; done
t0=$(now)
for f in "$WORK"/drop/.incoming/*.csv; do mv "$f" "$WORK/drop/"; done
read -r secs states < <(python3 "$ROOT/bench/wait_files.py" "$BASE" "$TOKEN" "$ACQ" "$((2 * COUNT))" "$t0")
echo "folder $secs $states" >> "$RESULTS"

python3 - "$COUNT" "$RESULTS" <<'PY'
import sys
count = int(sys.argv[1])
for line in open(sys.argv[2]):
    way, secs, *states = line.split()
    rate = count / float(secs)
    print(f"{way:6} {count} files in {float(secs):6.2f} s: {rate:6.1f} files/s "
          f"(target >= 100: {'met' if rate >= 100 else 'MISSED'}); {' '.join(states)}")
PY
