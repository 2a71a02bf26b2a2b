# Sourced by the bench scripts: runs the release `airlock` on $WORK with the
# engines given as TOML and delivers $WORK/data.csv to a fresh acquisition.
# Sets DAEMON_PID, TOKEN, BASE and FILE; the caller's trap stops the daemon.
# Also build_and_generate, which both benchmarks start with.
# Usage: deliver_to_airlock AIRLOCK_BIN ENGINES_TOML
# BENCH_PIPELINE adds lines to [pipeline], e.g. "row_group_bytes = 16777216".

log() { printf '[bench] %s\n' "$*" >&2; }

# A scratch directory (WORK, kept with BENCH_KEEP=1) and a trap that stops
# the daemon (DAEMON_PID) and a private clamd (CLAMD_PID, if any) and
# removes it, however the bench ends.
start_bench() {
  WORK=$(mktemp -d /tmp/airlock-bench.XXXXXX)
  DAEMON_PID=""
  trap cleanup EXIT INT TERM
}
cleanup() {
  [ -z "$DAEMON_PID" ] || kill "$DAEMON_PID" 2>/dev/null || true
  [ -z "${CLAMD_PID:-}" ] || kill "$CLAMD_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "${BENCH_KEEP:-}" ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}

# Builds the release `airlock` (AIRLOCK) and generates a SIZE_MIB MiB CSV
# at $WORK/data.csv (BYTES: its size).
build_and_generate() {
  log "building airlock (release)"
  (cd "$ROOT" && cargo build --release --locked --bin airlock >/dev/null 2>&1)
  AIRLOCK="$ROOT/target/release/airlock"
  log "generating a ${SIZE_MIB} MiB CSV"
  python3 "$ROOT/bench/gen_csv.py" "$WORK/data.csv" "$SIZE_MIB"
  BYTES=$(stat -c %s "$WORK/data.csv")
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

deliver_to_airlock() {
  local bin=$1 engines=$2 port acq
  port=$(free_port)
  cat > "$WORK/airlock.toml" <<TOML
listen = "127.0.0.1:$port"
data_dir = "$WORK/data"

[scanner]
engine_timeout_secs = 3600

$engines

[limits]
max_file_bytes = $(($(stat -c %s "$WORK/data.csv") + 1))

[pipeline]
workers = 1
poll_interval_ms = 50
${BENCH_PIPELINE:-}
TOML
  TOKEN=$("$bin" user add bench --role engineer --config "$WORK/airlock.toml" 2>/dev/null)
  REVIEWER=$("$bin" user add bench-reviewer --role reviewer --config "$WORK/airlock.toml" 2>/dev/null)
  "$bin" serve --config "$WORK/airlock.toml" >"$WORK/airlock.log" 2>&1 &
  DAEMON_PID=$!
  BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 600); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
  acq=$(curl -sf -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d '{"name":"bench","target_zone":"sandbox","classification":"OFFICIAL",
         "supplier":"bench","legal_basis":"bench","purpose":"bench",
         "personal_data":true,"retention_days":1}' \
    "$BASE/v1/acquisitions" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  # The generated file holds emails: declared above, so it publishes
  # without review once a reviewer approves the acquisition.
  curl -sf -H "authorization: Bearer $REVIEWER" -H 'content-type: application/json' \
    -d '{"decision":"approve","reason":"bench"}' "$BASE/v1/acquisitions/$acq/review" >/dev/null
  FILE=$(curl -sf -H "authorization: Bearer $TOKEN" -T "$WORK/data.csv" \
    "$BASE/v1/acquisitions/$acq/files/data.csv" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
}
