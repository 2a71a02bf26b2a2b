#!/usr/bin/env bash
# The full ingest against a bare conversion: the same generated survey CSV
# as bench/convert.sh, timed through the real daemon from the first byte of
# a streamed HTTP upload until `published` (ClamAV through a private clamd,
# YARA-X, filetype and archive engines, the PII and schema checks, the
# conversion, publication and the catalog), and DuckDB's bare
# `COPY … TO parquet (zstd)` of the same file, taking turns each round.
# Prints each tool's median wall time, MB/s, CPU seconds and peak RSS, and
# the ratio DuckDB/Airlock for each round and for the median. A benchmark,
# not a test.
#
#   bench/ingest.sh                          # 1 GiB, 3 rounds
#   BENCH_SIZE_MIB=10240 BENCH_ROUNDS=1 bench/ingest.sh   # memory at 10 GiB
#   CLAMAV_DB=/var/lib/clamav bench/ingest.sh             # ClamAV's real signatures
#
# Target (issue 22): a median ratio DuckDB/Airlock of at least 0.9; peak
# RSS at most 256 MiB at 1 GiB and at 10 GiB, less than 64 MiB apart.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
ROUNDS=${BENCH_ROUNDS:-3}
# shellcheck source=bench/daemon.sh
. "$ROOT/bench/daemon.sh"
start_bench
CLAMD_PID=""
now() { date +%s.%N; }
cpu_of() { python3 -c "import os,sys; f=open('/proc/$1/stat').read().rsplit(')',1)[1].split(); print((int(f[11])+int(f[12]))/os.sysconf('SC_CLK_TCK'))"; }

build_and_generate
start_clamd
cat "$WORK/data.csv" >/dev/null

log "installing duckdb into a throwaway venv"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --disable-pip-version-check duckdb==1.5.5
PY="$WORK/venv/bin/python"

ENGINES=$(all_engines)

RESULTS="$WORK/results"
: > "$RESULTS"

duckdb_round() {
  local kib cpu secs
  log "duckdb (round $round)"
  sync
  read -r _ kib cpu < <(python3 "$ROOT/bench/measure.py" "$PY" -c "import time
import duckdb
t0 = time.perf_counter()
duckdb.sql(\"SET enable_progress_bar = false\")
duckdb.sql(\"COPY (SELECT * FROM read_csv('$WORK/data.csv')) TO '$WORK/duck.parquet' (FORMAT parquet, COMPRESSION zstd)\")
open('$WORK/secs', 'w').write(str(time.perf_counter() - t0))")
  secs=$(cat "$WORK/secs")
  echo "duckdb $round $secs $kib $cpu" >> "$RESULTS"
  rm -f "$WORK/duck.parquet" "$WORK/secs"
}

airlock_round() {
  local secs state kib cpu cpu0 t0
  log "airlock (round $round): upload, every engine, checks, conversion, publication"
  rm -rf "$WORK/data"
  sync
  start_airlock "$AIRLOCK" "$ENGINES"
  cpu0=$(cpu_of "$DAEMON_PID")
  t0=$(now)
  upload_data
  read -r secs state kib cpu < <(python3 "$ROOT/bench/wait_state.py" "$BASE/v1/files/$FILE" \
    "$TOKEN" "$DAEMON_PID" "@$t0@$cpu0" published,rejected,held,awaiting_review)
  [ "$state" = published ] || { log "airlock ended in $state"; tail -20 "$WORK/airlock.log" >&2; exit 1; }
  echo "airlock $round $secs $kib $cpu" >> "$RESULTS"
  kill "$DAEMON_PID" && wait "$DAEMON_PID" 2>/dev/null || true
  DAEMON_PID=""
}

for round in $(seq 1 "$ROUNDS"); do
  # Taking turns at going first, so that neither always runs in the
  # other's wake.
  if [ $((round % 2)) = 1 ]; then duckdb_round; airlock_round; else airlock_round; duckdb_round; fi
done

python3 - "$BYTES" "$RESULTS" "$DB" <<'PYEOF'
import statistics, sys
size, path, db = int(sys.argv[1]), sys.argv[2], sys.argv[3]
runs = {}
for line in open(path):
    name, rnd, secs, kib, cpu = line.split()
    runs.setdefault(name, {})[int(rnd)] = (float(secs), int(kib), float(cpu))
print(f"file: {size / 2**20:.0f} MiB survey CSV; clamd signatures from {db}")
for name, by_round in runs.items():
    secs = statistics.median(r[0] for r in by_round.values())
    cpu = statistics.median(r[2] for r in by_round.values())
    peak = max(r[1] for r in by_round.values())
    print(f"{name:8} median {secs:7.2f} s  {size / 1e6 / secs:7.1f} MB/s  CPU {cpu:6.2f} s  "
          f"peak RSS {peak / 1024:5.0f} MiB")
ratios = [runs["duckdb"][r][0] / runs["airlock"][r][0] for r in sorted(runs["airlock"])]
median = statistics.median(ratios)
print("ratio duckdb/airlock by round: " + ", ".join(f"{r:.2f}" for r in ratios))
print(f"median ratio: {median:.2f} (target >= 0.90: {'met' if median >= 0.9 else 'MISSED'})")
peak = max(r[1] for r in runs["airlock"].values()) / 1024
print(f"airlock peak RSS: {peak:.0f} MiB (target <= 256: {'met' if peak <= 256 else 'MISSED'})")
PYEOF
