#!/usr/bin/env bash
# Session check throughput: GET /api/v1/sessions/current with a bearer token,
# 32 connections, the server pinned to core 0 and wrk to core 1 (design.md's
# target: >= 12,000 req/s, p99 <= 9 ms). Needs a release build and wrk
# (apt-get install wrk). Prints wrk's summary; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/twofold
[ -x "$bin" ] || cargo build --release --bin twofold
data=$(mktemp -d)
port=18099
TWOFOLD_DATA_DIR="$data" TWOFOLD_LISTEN="127.0.0.1:$port" TWOFOLD_LOG=warn taskset -c 0 "$bin" serve &
server=$!
trap 'kill $server; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
body='{"email":"bench@example.com","password":"correct horse battery"}'
curl -sf -XPOST "http://127.0.0.1:$port/api/v1/accounts" -H 'content-type: application/json' -d "$body" >/dev/null
token=$(curl -sf -XPOST "http://127.0.0.1:$port/api/v1/sessions" -H 'content-type: application/json' -d "$body" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
taskset -c 1 wrk -t1 -c32 -d10s --latency -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$port/api/v1/sessions/current"
grep -E 'VmRSS|VmHWM' "/proc/$server/status"
