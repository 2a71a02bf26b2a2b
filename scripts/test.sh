#!/usr/bin/env bash
# Runs every Airlock test against real services on loopback:
#   1. installs what is missing (clamav-daemon; the OpenSSH client the
#      SFTP tests drive; PostgreSQL if none answers; the s3s-fs S3 server,
#      with cargo install),
#   2. starts a private clamd with the project's own signatures,
#   3. reuses the PostgreSQL on 127.0.0.1:5432 if it accepts trust logins,
#      or starts a private cluster on a free port (always, with
#      AIRLOCK_TEST_PRIVATE_PG=1),
#   4. starts s3s-fs (signature-checking, put-if-absent) with a bucket,
#      installs pyarrow into a throwaway venv for the interop check, and
#      starts moto's S3 server there (object tagging, which s3s-fs lacks),
#   5. installs Debian's chromium with Playwright for the browser tests,
#      the schemathesis and client venvs and tus-js-client,
#   6. runs `cargo test --workspace` (extra arguments are passed on),
#   7. stops what it started and drops the test databases.
# Works on a fresh Debian machine as root (or with passwordless sudo).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/airlock-test.XXXXXX)
chmod 755 "$WORK"
CLAMD_PID=""
S3_PID=""
MOTO_PID=""
PG_STARTED=""
PG_URL=""

log() { printf '\033[1m[test.sh]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=""
apt_install() {
  if [ -z "$APT_UPDATED" ]; then
    log "apt-get update"
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  log "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# A TCP port on 127.0.0.1 that nothing answers on, below the kernel's
# ephemeral range (32768 and up), where outgoing connections cannot hold it.
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  log "no free port found"
  return 1
}

cleanup() {
  local status=$?
  for pid in $CLAMD_PID $S3_PID $MOTO_PID; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$PG_URL" ] && command -v psql >/dev/null; then
    for db in $(psql "$PG_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'airlock\_t\_%'" 2>/dev/null); do
      psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    done
  fi
  if [ -n "$PG_STARTED" ]; then
    run_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT INT TERM

# --- the OpenSSH client (sftp, ssh-keygen) -----------------------------------
if ! command -v sftp >/dev/null || ! command -v ssh-keygen >/dev/null; then
  apt_install openssh-client
fi

# --- clamd -------------------------------------------------------------------
CLAMD_BIN=$(command -v clamd || true)
[ -n "$CLAMD_BIN" ] || CLAMD_BIN=/usr/sbin/clamd
if [ ! -x "$CLAMD_BIN" ]; then
  apt_install clamav-daemon
fi
clamd_ping() {
  local reply
  exec 3<>"/dev/tcp/127.0.0.1/$CLAMD_PORT" || return 1
  printf 'zPING\0' >&3
  reply=$(timeout 2 tr -d '\0' <&3 || true)
  exec 3<&-
  [ "$reply" = "PONG" ]
}

# Starts clamd on a free port and waits up to 60 s for PING; 0 when it answers.
start_clamd() {
  CLAMD_PORT=$(free_port)
  sed -e "s|@DIR@|$WORK|g" -e "s|@PORT@|$CLAMD_PORT|g" -e "s|@DB@|$ROOT/tests/fixtures/clamav|g" \
    "$ROOT/tests/fixtures/clamd.conf.in" > "$WORK/clamd.conf"
  rm -f "$WORK/clamd.log"
  "$CLAMD_BIN" --config-file="$WORK/clamd.conf" >"$WORK/clamd.out" 2>&1 &
  CLAMD_PID=$!
  for _ in $(seq 1 600); do
    if clamd_ping 2>/dev/null; then return 0; fi
    kill -0 "$CLAMD_PID" 2>/dev/null || break
    sleep 0.1
  done
  log "clamd did not answer PING on port $CLAMD_PORT:"
  cat "$WORK/clamd.out" "$WORK/clamd.log" >&2 2>/dev/null || true
  kill "$CLAMD_PID" 2>/dev/null || true
  wait "$CLAMD_PID" 2>/dev/null || true
  CLAMD_PID=""
  return 1
}
for attempt in 1 2 3; do
  if start_clamd; then break; fi
  [ "$attempt" -lt 3 ] || { log "giving up on clamd"; exit 1; }
done
log "clamd on tcp://127.0.0.1:$CLAMD_PORT"

# --- PostgreSQL ----------------------------------------------------------------
if ! command -v psql >/dev/null; then
  apt_install postgresql-client
fi
if [ -z "${AIRLOCK_TEST_PRIVATE_PG:-}" ] &&
  psql "postgres://postgres@127.0.0.1:5432/postgres" -Atqc 'SELECT 1' >/dev/null 2>&1; then
  PG_URL="postgres://postgres@127.0.0.1:5432/postgres"
  log "reusing PostgreSQL on 127.0.0.1:5432"
else
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt_install postgresql
  fi
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  PG_PORT=$(free_port)
  mkdir -p "$WORK/pg"
  # initdb refuses to run as root: run the cluster as the postgres user.
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$WORK/pg"
    run_pg() { su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; }
  else
    run_pg() { "$@"; }
  fi
  run_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -A trust -U postgres >/dev/null
  run_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w \
    -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  PG_STARTED=1
  PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  log "started a private PostgreSQL on 127.0.0.1:$PG_PORT"
fi

# Waits up to 30 s for PORT to accept; stops with the server's OUTPUT if
# PID dies first.
serving() {
  local port=$1 pid=$2 output=$3
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { cat "$output" >&2; exit 1; }
    sleep 0.1
  done
  log "nothing answered on port $port"; cat "$output" >&2; exit 1
}

# --- S3 (s3s-fs) -----------------------------------------------------------------
S3S_BIN=$(command -v s3s-fs || true)
if [ -z "$S3S_BIN" ]; then
  # 0.14.1: later versions need a newer Rust than this toolchain.
  log "installing s3s-fs 0.14.1 (cargo install, about 2 minutes)"
  cargo install s3s-fs@0.14.1 --locked --features binary --quiet
  S3S_BIN="${CARGO_HOME:-$HOME/.cargo}/bin/s3s-fs"
fi
S3_PORT=$(free_port)
S3_KEY="airlock$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
S3_SECRET="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
mkdir -p "$WORK/s3/airlock-test"
"$S3S_BIN" --host 127.0.0.1 --port "$S3_PORT" --access-key "$S3_KEY" --secret-key "$S3_SECRET" \
  "$WORK/s3" >"$WORK/s3.out" 2>&1 &
S3_PID=$!
serving "$S3_PORT" "$S3_PID" "$WORK/s3.out"
log "s3s-fs on http://127.0.0.1:$S3_PORT, bucket airlock-test"
export AWS_ACCESS_KEY_ID="$S3_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET" AWS_REGION=us-east-1
export AWS_ENDPOINT="http://127.0.0.1:$S3_PORT" AWS_ALLOW_HTTP=true
export AIRLOCK_TEST_S3_BUCKET=airlock-test
# The Iceberg tests start a second s3s-fs over the same root with a key of
# its own: the read-only endpoint analysts are vended.
export AIRLOCK_TEST_S3S_BIN="$S3S_BIN" AIRLOCK_TEST_S3_ROOT="$WORK/s3"

# --- pyarrow, for the interoperability check ---------------------------------------
if ! python3 -m venv "$WORK/venv" >/dev/null 2>&1; then
  apt_install python3-venv python3-pip
  python3 -m venv "$WORK/venv"
fi
log "installing pyarrow, fastavro, openpyxl and tuspy into a throwaway venv"
# Pinned. cramjam and backports.zstd are fastavro's snappy and zstandard
# codecs; bzip2 and xz come with Python.
"$WORK/venv/bin/pip" install -q --disable-pip-version-check pyarrow==26.0.1 fastavro==1.13.1 \
  cramjam==2.14.0 backports.zstd==1.8.0 openpyxl==3.1.5 tuspy==1.1.0
# The Iceberg clients: pyiceberg, and DuckDB 1.5.5 (the newest with its
# extensions on PyPI) with iceberg, avro and httpfs, which the tests
# install into their own temporary extension directory. About 10 s.
log "installing pyiceberg and DuckDB with its iceberg extension into the venv"
"$WORK/venv/bin/pip" install -q --disable-pip-version-check pyiceberg==0.12.0 duckdb==1.5.5 \
  duckdb-extensions==1.5.5 duckdb-extension-iceberg==1.5.5 duckdb-extension-avro==1.5.5 \
  duckdb-extension-httpfs==1.5.5
export AIRLOCK_TEST_PYTHON="$WORK/venv/bin/python"

# --- schemathesis, for the API contract test (tests/contract.rs) ----------------
# In its own venv: it pins its own hypothesis, jsonschema and requests.
log "installing schemathesis into its own venv"
python3 -m venv "$WORK/st-venv"
"$WORK/st-venv/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5
export AIRLOCK_TEST_SCHEMATHESIS="$WORK/st-venv/bin/schemathesis"

# --- the generated Python client (tests/clients.rs) -------------------------------
# The generator and ruff, to check clients/python is current, and the
# committed client with its dependencies, for the end-to-end script.
log "installing openapi-python-client and the generated Python client into a venv"
python3 -m venv "$WORK/clients-venv"
"$WORK/clients-venv/bin/pip" install -q --disable-pip-version-check openapi-python-client==0.29.1 \
  ruff==0.17.6 httpx==0.28.1 attrs==25.4.0 setuptools==80.9.0 wheel==0.45.1
# From a copy: a build leaves build/ and *.egg-info beside the sources.
cp -r "$ROOT/clients/python" "$WORK/airlock-client"
"$WORK/clients-venv/bin/pip" install -q --disable-pip-version-check --no-deps --no-build-isolation \
  "$WORK/airlock-client"
export AIRLOCK_TEST_CLIENTS_VENV="$WORK/clients-venv"

# --- moto's S3 server: object tagging, which s3s-fs does not implement --------
log "installing moto's S3 server into the venv"
"$WORK/venv/bin/pip" install -q --disable-pip-version-check 'moto[server]==5.2.6'
MOTO_PORT=$(free_port)
"$WORK/venv/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.out" 2>&1 &
MOTO_PID=$!
serving "$MOTO_PORT" "$MOTO_PID" "$WORK/moto.out"
export AIRLOCK_TEST_MOTO_ENDPOINT="http://127.0.0.1:$MOTO_PORT"

# --- tus-js-client under Node, a second real tus client -------------------------
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
log "installing tus-js-client and axe-core into a throwaway node_modules"
npm install --silent --no-audit --no-fund --prefix "$WORK/node" tus-js-client@4.3.1 \
  axe-core@4.14.1 >/dev/null
export AIRLOCK_TEST_NODE_PATH="$WORK/node/node_modules"
# axe-core checks every page of the browser walk-through against WCAG 2.1 AA.
export AIRLOCK_TEST_AXE="$WORK/node/node_modules/axe-core/axe.min.js"

# --- the web pages in a real browser (tests/browser.rs) --------------------------
# Debian's chromium, driven by Playwright for Python through executable_path:
# Playwright downloads no browser of its own. oidc-provider-mock is the
# identity provider of the OIDC sign-in; 0.3.4 is its last release for this
# machine's CPython 3.11 (0.4 needs 3.12).
command -v chromium >/dev/null 2>&1 || apt_install chromium
log "installing Playwright and oidc-provider-mock into a venv"
python3 -m venv "$WORK/browser-venv"
"$WORK/browser-venv/bin/pip" install -q --disable-pip-version-check playwright==1.64.1 \
  oidc-provider-mock==0.3.4
export AIRLOCK_TEST_BROWSER_VENV="$WORK/browser-venv"

# --- the tests -------------------------------------------------------------------
export AIRLOCK_TEST_CLAMD="tcp://127.0.0.1:$CLAMD_PORT"
export AIRLOCK_TEST_CLAMD_BIN="$CLAMD_BIN"
export AIRLOCK_TEST_POSTGRES_URL="$PG_URL"
cd "$ROOT"
log "cargo test --workspace --locked --no-fail-fast $*"
cargo test --workspace --locked --no-fail-fast "$@"
# HDFS: no namenode can be installed here (README, "Lakes"); given one, its
# lake conformance cases run too.
if [ -n "${AIRLOCK_TEST_HDFS_URL:-}" ]; then
  log "HDFS lake conformance against $AIRLOCK_TEST_HDFS_URL"
  cargo test --locked -p airlock-ingest --test lakes on_hdfs -- --ignored
fi
