#!/usr/bin/env bash
# CSV → Parquet (zstd) on the same generated survey CSV, four ways on this
# machine in one run: Airlock's converter through the real daemon, DuckDB's
# COPY, polars' scan_csv().sink_parquet() and pyarrow's streaming writer.
# Prints wall time, MB/s, peak RSS and CPU time for each. A benchmark, not a test.
# The tools take turns, BENCH_ROUNDS times (5 by default), and the ratio is
# the median round's: on a shared machine one run of a tool can be a third
# slower than the next.
#
#   bench/convert.sh                     # 1 GiB
#   BENCH_SIZE_MIB=256 bench/convert.sh
#   BENCH_AIRLOCK_ONLY=1 BENCH_SIZE_MIB=2048 bench/convert.sh   # RSS flatness
#   BENCH_BASELINE_BIN=/path/to/older/airlock bench/convert.sh  # before/after
#
# With BENCH_BASELINE_BIN, an older build of the daemon takes its turn in
# every round too ("baseline"), so a change's cost is measured against the
# build before it on the same file, in the same run.
#
# Targets (issue 4): Airlock >= 1.0x the faster of DuckDB and polars, peak
# RSS <= 256 MiB, and RSS flat across sizes (run it at 100 and 2048).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
# shellcheck source=bench/daemon.sh
. "$ROOT/bench/daemon.sh"
start_bench

build_and_generate
cat "$WORK/data.csv" >/dev/null
ROUNDS=${BENCH_ROUNDS:-5}

size_of() { find "$@" -name '*.parquet' -printf '%s\n' 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
# One line per tool and round: name round seconds peak-KiB output-bytes cpu-seconds.
RESULTS="$WORK/results"
: > "$RESULTS"
measure() { python3 "$ROOT/bench/measure.py" "$@"; }
# A Python tool is timed inside its process, after its imports (0.2 to 0.3
# s here), as Airlock's time leaves out its daemon's start; its peak RSS is
# the whole process's, and so is its CPU time (imports included).
tool() { # NAME OUTPUT IMPORT CODE
  local kib cpu
  log "$1 (round $round)"
  sync
  read -r _ kib cpu < <(measure "$PY" -c "import time
$3
t0 = time.perf_counter()
$4
open('$WORK/secs', 'w').write(str(time.perf_counter() - t0))")
  echo "$1 $round $(cat "$WORK/secs") $kib $(size_of "$2") $cpu" >> "$RESULTS"
  rm -f "$2" "$WORK/secs"
}

if [ -z "${BENCH_AIRLOCK_ONLY:-}" ]; then
  log "installing duckdb, polars and pyarrow into a throwaway venv"
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install -q --disable-pip-version-check duckdb polars pyarrow
  PY="$WORK/venv/bin/python"
fi

for round in $(seq 1 "$ROUNDS"); do
  if [ -z "${BENCH_AIRLOCK_ONLY:-}" ]; then
    tool duckdb "$WORK/duck.parquet" "import duckdb" "duckdb.sql(\"SET enable_progress_bar = false\"); duckdb.sql(\"COPY (SELECT * FROM read_csv('$WORK/data.csv')) TO '$WORK/duck.parquet' (FORMAT parquet, COMPRESSION zstd)\")"
    tool polars "$WORK/polars.parquet" "import polars as pl" "pl.scan_csv('$WORK/data.csv').sink_parquet('$WORK/polars.parquet', compression='zstd')"
    tool pyarrow "$WORK/arrow.parquet" "import pyarrow.csv as pc, pyarrow.parquet as pq" "r = pc.open_csv('$WORK/data.csv')
with pq.ParquetWriter('$WORK/arrow.parquet', r.schema, compression='zstd') as w:
    for b in r:
        w.write_batch(b)"
  fi

  # With a baseline, the builds alternate which goes first, so that neither
  # always runs in the other's wake.
  builds="${BENCH_BASELINE_BIN:+baseline} airlock"
  [ $((round % 2)) = 0 ] && [ -n "${BENCH_BASELINE_BIN:-}" ] && builds="airlock baseline"
  for build in $builds; do
    bin=$AIRLOCK
    [ "$build" = airlock ] || bin=$BENCH_BASELINE_BIN
    log "$build (round $round; daemon: upload, filetype scan, then conversion)"
    rm -rf "$WORK/data"
    # The last run's files reach the disk before this one is timed.
    sync
    deliver_to_airlock "$bin" $'[[scanner.engines]]\ntype = "filetype"'
    # Conversion time: from the file entering `converting` until `published`.
    read -r secs state kib cpu < <(python3 "$ROOT/bench/wait_state.py" "$BASE/v1/files/$FILE" \
      "$TOKEN" "$DAEMON_PID" converting published,rejected,held)
    [ "$state" = published ] || { log "$build ended in $state"; tail -20 "$WORK/airlock.log" >&2; exit 1; }
    echo "$build $round $secs $kib $(size_of "$WORK/data") $cpu" >> "$RESULTS"
    kill "$DAEMON_PID" && wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=""
  done
done

python3 - "$BYTES" "$RESULTS" <<'EOF'
import statistics, sys
size = int(sys.argv[1])
runs = {}
for line in open(sys.argv[2]):
    name, rnd, secs, kib, out, cpu = line.split()
    runs.setdefault(name, {})[int(rnd)] = (float(secs), int(kib), int(out), float(cpu))
def mbs(secs):
    return size / 1e6 / secs
print(f"{size / 2**20:.0f} MiB CSV → Parquet (zstd), {len(runs['airlock'])} rounds, medians")
for name, by_round in runs.items():
    secs = statistics.median(r[0] for r in by_round.values())
    kib = max(r[1] for r in by_round.values())
    out = statistics.median(r[2] for r in by_round.values())
    cpu = statistics.median(r[3] for r in by_round.values())
    print(f"{name:10} {secs:7.2f} s {mbs(secs):8.1f} MB/s   peak RSS {kib / 1024:7.0f} MiB"
          f"   output {out / 2**20:7.1f} MiB   CPU {cpu:6.2f} s")
air = runs["airlock"]
cpu = statistics.median(r[3] for r in air.values())
wall = statistics.median(r[0] for r in air.values())
print(f"airlock used {cpu:.2f} CPU seconds: {cpu / wall:.2f} cores on average (medians)")
if "baseline" in runs:
    base = runs["baseline"]
    by_round = [air[r][0] / base[r][0] for r in sorted(air) if r in base]
    print("airlock / baseline time, by round: " + ", ".join(f"{r:.3f}" for r in by_round))
    print(f"median {statistics.median(by_round):.3f}; peak RSS {max(r[1] for r in air.values()) / 1024:.0f}"
          f" MiB against {max(r[1] for r in base.values()) / 1024:.0f} MiB")
if "duckdb" not in runs:
    sys.exit(0)
ratios = []
for rnd, (secs, *_) in sorted(air.items()):
    best = max(mbs(runs[t][rnd][0]) for t in ("duckdb", "polars"))
    ratios.append(mbs(secs) / best)
ratio = statistics.median(ratios)
print("airlock / fastest of duckdb and polars, by round: " + ", ".join(f"{r:.2f}" for r in ratios))
print(f"median {ratio:.2f} (target >= 1.0: {'met' if ratio >= 1 else 'MISSED'})")
EOF
