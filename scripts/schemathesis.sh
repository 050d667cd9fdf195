#!/usr/bin/env bash
# Schemathesis against the served OpenAPI document: builds the debug binary,
# serves a fresh SQLite instance on a free port, creates its owner through the
# API, and runs every check with a fixed seed and a bounded time. Fails when
# schemathesis reports any failure. Called by scripts/test.
set -euo pipefail
cd "$(dirname "$0")/.."

ST_VERSION=4.32.5
SEED="${TWOFOLD_ST_SEED:-1}"
MAX_TIME="${TWOFOLD_ST_MAX_TIME:-100}"
WORKERS="${TWOFOLD_ST_WORKERS:-2}"
target="${CARGO_TARGET_DIR:-target}"
venv="$target/schemathesis-venv"

if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$ST_VERSION"; then
  echo "installing schemathesis $ST_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

cargo build --quiet -p twofold
binary="$target/debug/twofold"

data=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port/api/v1"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

# localhost (not an IP) so the passkey routes have a relying-party host; a
# long step-up window so the provider's one step-up covers the whole run; the
# run's own proxy trusted, so the auth provider signs in from an address of
# its own (see schemathesis_hooks.py).
TWOFOLD_STEP_UP_WINDOW=1h TWOFOLD_TRUSTED_PROXIES=127.0.0.1/32 TWOFOLD_LOG=warn \
  "$binary" serve --listen "127.0.0.1:$port" --data-dir "$data" \
  --public-url "http://localhost:$port" >"$data/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$base/openapi.json" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$data/server.log"; exit 1; }
  sleep 0.2
done

email="owner@example.com"
password="schemathesis-$(python3 -c 'import secrets; print(secrets.token_urlsafe(16))')"
curl -fsS -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$base/accounts"

export TWOFOLD_ST_BASE="$base" TWOFOLD_ST_EMAIL="$email" TWOFOLD_ST_PASSWORD="$password"
# Run from the temporary folder: schemathesis keeps a cache in its working
# folder.
root="$PWD"
export SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$root/scripts"
st="$(cd "$venv/bin" && pwd)/st"
(cd "$data" && "$st" --config-file "$root/scripts/schemathesis.toml" run "$base/openapi.json" \
  --checks all --seed "$SEED" --max-time "$MAX_TIME" --workers "$WORKERS" \
  --generation-database none --exclude-name "DELETE /sessions/current" \
  --no-color) || {
  status=$?
  echo "--- twofold server log, last lines"
  tail -n 40 "$data/server.log"
  exit "$status"
}
