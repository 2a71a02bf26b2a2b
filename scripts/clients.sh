#!/usr/bin/env bash
# Regenerates the Python client, clients/python (package airlock_client),
# from the OpenAPI document Airlock serves on its embedded defaults
# (`airlock config openapi`), with openapi-python-client and ruff as
# pinned below. With --check it regenerates into a temporary directory
# and fails if the committed copy differs: scripts/test.sh runs that.
#
#   scripts/clients.sh [--check] [AIRLOCK_BINARY]
#
# The generator and ruff come from $CLIENTS_VENV (default: a venv made
# under /tmp on first use).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHECK=""
if [ "${1:-}" = "--check" ]; then CHECK=1; shift; fi
AIRLOCK=${1:-"$ROOT/target/debug/airlock"}
VENV=${CLIENTS_VENV:-/tmp/airlock-clients-venv}

if [ ! -x "$VENV/bin/openapi-python-client" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check \
    openapi-python-client==0.29.1 ruff==0.17.6
fi

WORK=$(mktemp -d /tmp/airlock-clients.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# An empty directory: no airlock.toml is found, so the embedded defaults
# (zones corporate and sandbox) make the document.
(cd "$WORK" && "$AIRLOCK" config openapi) >"$WORK/openapi.json"
(cd "$WORK" && PATH="$VENV/bin:$PATH" openapi-python-client generate \
  --path openapi.json --config "$ROOT/clients/openapi-python-client.yml" \
  --meta setup --output-path "$WORK/python" >/dev/null)
cp "$WORK/openapi.json" "$WORK/python/openapi.json"

if [ -n "$CHECK" ]; then
  if ! diff -ru "$ROOT/clients/python" "$WORK/python"; then
    echo "clients/python is not what the generator makes of today's API: run scripts/clients.sh" >&2
    exit 1
  fi
  echo "clients/python matches the API"
else
  rm -rf "$ROOT/clients/python"
  cp -r "$WORK/python" "$ROOT/clients/python"
  echo "regenerated clients/python"
fi
