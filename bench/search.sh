#!/usr/bin/env bash
# Catalog search at 100,000 datasets of 20 columns each, on SQLite and on
# PostgreSQL, in one run: seeds a fresh catalog of each (bulk SQL, then the
# catalog's own indexing, then VACUUM ANALYZE on PostgreSQL, as autovacuum
# would have), runs 1,000 searches of five shapes (a word, two
# words, a prefix, OR with an exclusion, a phrase) through the catalog
# interface and prints p50 and p99 for each backend and shape. A benchmark, not a
# test.
#
#   bench/search.sh                          # 100,000 datasets
#   BENCH_DATASETS=10000 bench/search.sh
#   BENCH_PG_URL=postgres://… bench/search.sh   # default: the local server
#
# Target (issue 20): p99 < 20 ms on both backends.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATASETS=${BENCH_DATASETS:-100000}
QUERIES=${BENCH_QUERIES:-1000}
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
WORK=$(mktemp -d /tmp/airlock-bench.XXXXXX)
DB="airlock_search_bench_$$"
cleanup() {
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
log() { printf '[bench] %s\n' "$*" >&2; }

log "building the search bench (release)"
(cd "$ROOT" && cargo build --release --locked -p airlock-catalog --example search_bench >/dev/null 2>&1)
BIN="$ROOT/target/release/examples/search_bench"

log "SQLite: $DATASETS datasets"
"$BIN" "sqlite:$WORK/catalog.db" "$DATASETS" "$QUERIES"

log "PostgreSQL: $DATASETS datasets (database $DB)"
psql "$PG_URL" -qc "CREATE DATABASE $DB" >/dev/null
"$BIN" "${PG_URL%/*}/$DB" "$DATASETS" "$QUERIES"
