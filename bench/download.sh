#!/usr/bin/env bash
# A published version read back through Airlock (GET …/versions/1/data) as
# Parquet, CSV and Arrow, against DuckDB exporting the same version's
# parts to the same formats, in one run on this machine. Prints wall
# time, MB/s of the CSV the version came from, and the daemon's peak RSS
# during each download (a fresh daemon per format, so its high-water mark
# is that download's). A benchmark, not a test.
#
#   bench/download.sh                    # 1 GiB CSV
#   BENCH_SIZE_MIB=256 bench/download.sh # RSS flat across sizes: compare
#
# Target (issue 20): the daemon's RSS stays flat whatever the version's
# size (a stream, never the version in memory).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
# shellcheck source=bench/daemon.sh
. "$ROOT/bench/daemon.sh"
start_bench

build_and_generate
log "installing duckdb into a throwaway venv"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --disable-pip-version-check duckdb==2.0.1
PY="$WORK/venv/bin/python"

log "publishing the CSV (filetype scan only)"
deliver_to_airlock "$AIRLOCK" $'[[scanner.engines]]\ntype = "filetype"'
read -r _ state _ _ < <(python3 "$ROOT/bench/wait_state.py" "$BASE/v1/files/$FILE" \
  "$TOKEN" "$DAEMON_PID" converting published,rejected,held)
[ "$state" = published ] || { log "airlock ended in $state"; exit 1; }
DATASET=$(curl -sf -H "authorization: Bearer $TOKEN" "$BASE/v1/files/$FILE" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["dataset_id"])')
VERSION_DIR=$(find "$WORK/data/lake/sandbox" -maxdepth 2 -type d -name v1 | head -n 1)
PARTS=$(find "$VERSION_DIR" -name 'part-*.parquet' | wc -l)
kill "$DAEMON_PID" && wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=""

hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
RESULTS="$WORK/results"
: > "$RESULTS"
for format in parquet csv arrow; do
  "$AIRLOCK" serve --config "$WORK/airlock.toml" >>"$WORK/airlock.log" 2>&1 &
  DAEMON_PID=$!
  for _ in $(seq 1 600); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
  idle=$(hwm "$DAEMON_PID")
  log "airlock: $format"
  t0=$(date +%s.%N)
  curl -sf -H "authorization: Bearer $TOKEN" -o "$WORK/out.$format" \
    "$BASE/v1/datasets/$DATASET/versions/1/data?format=$format"
  t1=$(date +%s.%N)
  echo "airlock-$format $(echo "$t1 - $t0" | bc) $(hwm "$DAEMON_PID") $idle $(stat -c %s "$WORK/out.$format")" >> "$RESULTS"
  kill "$DAEMON_PID" && wait "$DAEMON_PID" 2>/dev/null || true
  DAEMON_PID=""
  rm -f "$WORK/out.$format"
done

for format in parquet csv; do
  log "duckdb: $format"
  case $format in
    parquet) opts="(FORMAT parquet, COMPRESSION zstd)" ;;
    csv) opts="(FORMAT csv, HEADER true)" ;;
  esac
  read -r secs kib _ < <(python3 "$ROOT/bench/measure.py" "$PY" -c "import duckdb
duckdb.sql(\"SET enable_progress_bar = false\")
duckdb.sql(\"COPY (SELECT * FROM read_parquet('$VERSION_DIR/part-*.parquet')) TO '$WORK/duck.$format' $opts\")")
  echo "duckdb-$format $secs $kib 0 $(stat -c %s "$WORK/duck.$format")" >> "$RESULTS"
  rm -f "$WORK/duck.$format"
done

python3 - "$BYTES" "$PARTS" "$RESULTS" <<'EOF'
import sys
size, parts = int(sys.argv[1]), int(sys.argv[2])
print(f"version of a {size / 2**20:.0f} MiB CSV ({parts} parts) read back")
for line in open(sys.argv[3]):
    name, secs, kib, idle, out = line.split()
    secs, kib, idle, out = float(secs), int(kib), int(idle), int(out)
    extra = f"   (idle {idle / 1024:.0f} MiB, +{(kib - idle) / 1024:.0f} MiB)" if idle else ""
    print(f"{name:15} {secs:7.2f} s {size / 1e6 / secs:8.1f} MB/s   peak RSS {kib / 1024:6.0f} MiB"
          f"{extra}   output {out / 2**20:7.1f} MiB")
EOF
