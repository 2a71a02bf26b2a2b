# Sourced by the bench scripts: runs the release `airlock` on $WORK with the
# engines given as TOML and delivers $WORK/data.csv to a fresh acquisition.
# Sets DAEMON_PID, TOKEN, BASE, ACQ and FILE; the caller's trap stops the
# daemon. Also build_and_generate, which the benchmarks start with, and
# start_clamd. Usage: deliver_to_airlock AIRLOCK_BIN ENGINES_TOML
# BENCH_PIPELINE adds lines to [pipeline], e.g. "row_group_bytes = 16777216";
# BENCH_CATALOG_URL puts the catalog elsewhere (a postgres:// URL).

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

# Starts the daemon with ENGINES_TOML and registers an approved
# acquisition (ACQ) to deliver to. Usage: start_airlock AIRLOCK_BIN ENGINES_TOML
start_airlock() {
  local bin=$1 engines=$2 port
  port=$(free_port)
  cat > "$WORK/airlock.toml" <<TOML
listen = "127.0.0.1:$port"
data_dir = "$WORK/data"

[scanner]
engine_timeout_secs = 3600

$engines

[limits]
max_file_bytes = $(($(stat -c %s "$WORK/data.csv") + 1))

${BENCH_CATALOG_URL:+[catalog]
url = \"$BENCH_CATALOG_URL\"
}
[pipeline]
workers = ${BENCH_WORKERS:-1}
poll_interval_ms = 50
${BENCH_PIPELINE:-}
TOML
  TOKEN=$("$bin" user add bench --role engineer --config "$WORK/airlock.toml" 2>/dev/null)
  REVIEWER=$("$bin" user add bench-reviewer --role reviewer --config "$WORK/airlock.toml" 2>/dev/null)
  "$bin" serve --config "$WORK/airlock.toml" >"$WORK/airlock.log" 2>&1 &
  DAEMON_PID=$!
  BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 600); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
  ACQ=$(curl -sf -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d '{"name":"bench","target_zone":"sandbox","classification":"OFFICIAL",
         "supplier":"bench","legal_basis":"bench","purpose":"bench",
         "personal_data":true,"retention_days":1}' \
    "$BASE/v1/acquisitions" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  # The generated file holds emails: declared above, so it publishes
  # without review once a reviewer approves the acquisition.
  curl -sf -H "authorization: Bearer $REVIEWER" -H 'content-type: application/json' \
    -d '{"decision":"approve","reason":"bench"}' "$BASE/v1/acquisitions/$ACQ/review" >/dev/null
}

# Streams $WORK/data.csv to the acquisition over HTTP; sets FILE.
upload_data() {
  FILE=$(curl -sf -H "authorization: Bearer $TOKEN" -T "$WORK/data.csv" \
    "$BASE/v1/acquisitions/$ACQ/files/data.csv" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
}

deliver_to_airlock() {
  start_airlock "$@"
  upload_data
}

# Every engine, with the private clamd (start_clamd first), as TOML.
all_engines() {
  cat <<TOML
[[scanner.engines]]
type = "clamav"
address = "tcp://127.0.0.1:$CLAMD_PORT"
window_bytes = 2000000000

[[scanner.engines]]
type = "yara"

[[scanner.engines]]
type = "filetype"

[[scanner.engines]]
type = "archive"
TOML
}

# A private clamd on a free loopback port (CLAMD_PORT, CLAMD_PID) with
# the real signature database when one is installed (or CLAMAV_DB), else
# the project's test signatures (then clamd does far less work per byte
# than in production). Sets DB.
start_clamd() {
  command -v clamd >/dev/null && command -v clamdscan >/dev/null || {
    log "needs clamd and clamdscan (apt-get install clamav-daemon clamdscan)"
    exit 1
  }
  DB=${CLAMAV_DB:-}
  if [ -z "$DB" ]; then
    if ls /var/lib/clamav/*.c[lv]d >/dev/null 2>&1; then DB=/var/lib/clamav; else DB="$ROOT/tests/fixtures/clamav"; fi
  fi
  log "starting clamd (signatures: $DB)"
  CLAMD_PORT=$(free_port)
  sed -e "s|@DIR@|$WORK|g" -e "s|@PORT@|$CLAMD_PORT|g" -e "s|@DB@|$DB|g" \
    "$ROOT/tests/fixtures/clamd.conf.in" > "$WORK/clamd.conf"
  clamd --config-file="$WORK/clamd.conf" >"$WORK/clamd.out" 2>&1 &
  CLAMD_PID=$!
  for _ in $(seq 1 1200); do
    clamdscan --config-file="$WORK/clamd.conf" --ping 1 >/dev/null 2>&1 && break
    sleep 0.25
  done
  clamdscan --config-file="$WORK/clamd.conf" --ping 1 >/dev/null
}
