#!/usr/bin/env bash
# CSV → Parquet (zstd) on the same generated survey CSV, four ways on this
# machine in one run: Airlock's converter through the real daemon, DuckDB's
# COPY, polars' scan_csv().sink_parquet() and pyarrow's streaming writer.
# Prints wall time, MB/s and peak RSS for each. A benchmark, not a test.
#
#   bench/convert.sh                     # 1 GiB
#   BENCH_SIZE_MIB=256 bench/convert.sh
#   BENCH_AIRLOCK_ONLY=1 BENCH_SIZE_MIB=2048 bench/convert.sh   # RSS flatness
#
# Targets (issue 4): Airlock >= 1.0x the faster of DuckDB and polars, peak
# RSS <= 256 MiB, and RSS flat across sizes (run it at 100 and 2048).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
WORK=$(mktemp -d /tmp/airlock-bench.XXXXXX)
DAEMON_PID=""
cleanup() {
  [ -z "$DAEMON_PID" ] || kill "$DAEMON_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "${BENCH_KEEP:-}" ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM
# shellcheck source=bench/daemon.sh
. "$ROOT/bench/daemon.sh"
log() { printf '[bench] %s\n' "$*" >&2; }

build_and_generate
cat "$WORK/data.csv" >/dev/null

size_of() { find "$@" -name '*.parquet' -printf '%s\n' 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
duck_s=0 duck_kib=0 polars_s=0 polars_kib=0 arrow_s=0 arrow_kib=0
if [ -z "${BENCH_AIRLOCK_ONLY:-}" ]; then
log "installing duckdb, polars and pyarrow into a throwaway venv"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --disable-pip-version-check duckdb polars pyarrow
PY="$WORK/venv/bin/python"

measure() { python3 "$ROOT/bench/measure.py" "$@"; }

log "duckdb"
read -r duck_s duck_kib < <(measure "$PY" -c "
import duckdb
duckdb.sql(\"COPY (SELECT * FROM read_csv('$WORK/data.csv')) TO '$WORK/duck.parquet' (FORMAT parquet, COMPRESSION zstd)\")")
log "polars"
read -r polars_s polars_kib < <(measure "$PY" -c "
import polars as pl
pl.scan_csv('$WORK/data.csv').sink_parquet('$WORK/polars.parquet', compression='zstd')")
log "pyarrow (streaming)"
read -r arrow_s arrow_kib < <(measure "$PY" -c "
import pyarrow.csv as pc, pyarrow.parquet as pq
r = pc.open_csv('$WORK/data.csv')
with pq.ParquetWriter('$WORK/arrow.parquet', r.schema, compression='zstd') as w:
    for b in r:
        w.write_batch(b)")
fi

log "airlock (daemon: upload, filetype scan, then conversion)"
deliver_to_airlock "$AIRLOCK" $'[[scanner.engines]]\ntype = "filetype"'
# Conversion time: from the file entering `converting` until `published`.
read -r airlock_s state airlock_kib airlock_cpu < <(python3 "$ROOT/bench/wait_state.py" "$BASE/v1/files/$FILE" \
  "$TOKEN" "$DAEMON_PID" converting published,rejected,held)
[ "$state" = published ] || { log "airlock ended in $state"; tail -20 "$WORK/airlock.log" >&2; exit 1; }

python3 - "$BYTES" "$airlock_s" "$airlock_kib" "$(size_of "$WORK/data")" \
  "$duck_s" "$duck_kib" "$(size_of "$WORK/duck.parquet")" \
  "$polars_s" "$polars_kib" "$(size_of "$WORK/polars.parquet")" \
  "$arrow_s" "$arrow_kib" "$(size_of "$WORK/arrow.parquet")" "$airlock_cpu" <<'EOF'
import sys
size = int(sys.argv[1])
names = ["airlock", "duckdb", "polars", "pyarrow streaming"]
rows = [(n, *sys.argv[2 + 3 * i:5 + 3 * i]) for i, n in enumerate(names)]
cpu = float(sys.argv[14])
print(f"{size / 2**20:.0f} MiB CSV → Parquet (zstd)")
speed = {}
for name, secs, kib, out in rows:
    secs, kib, out = float(secs), int(kib), int(out)
    if secs == 0:
        continue
    speed[name] = size / 1e6 / secs
    print(f"{name:18} {secs:7.2f} s {speed[name]:8.1f} MB/s   peak RSS {kib / 1024:7.0f} MiB"
          f"   output {out / 2**20:7.1f} MiB")
print(f"airlock used {cpu:.2f} CPU seconds: {cpu / float(rows[0][1]):.2f} cores on average")
if "duckdb" not in speed:
    sys.exit(0)
best = max(speed["duckdb"], speed["polars"])
ratio = speed["airlock"] / best
print(f"airlock / fastest of duckdb and polars: {ratio:.2f} (target >= 1.0: {'met' if ratio >= 1 else 'MISSED'})")
EOF
