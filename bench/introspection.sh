#!/usr/bin/env bash
# Introspection throughput: POST /api/v1/introspect (RFC 7662) with an
# application's Basic credentials, for a live session token and then a live
# personal access token, 32 connections, the server pinned to core 0 and wrk
# to core 1. Needs a release build and wrk (apt-get install wrk). Prints
# wrk's summaries; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/twofold
[ -x "$bin" ] || cargo build --release --bin twofold
data=$(mktemp -d)
port=18098
export TWOFOLD_DATA_DIR="$data" TWOFOLD_LISTEN="127.0.0.1:$port" TWOFOLD_LOG=warn
taskset -c 0 "$bin" serve &
server=$!
trap 'kill $server; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
api="http://127.0.0.1:$port/api/v1"
json='content-type: application/json'
body='{"email":"bench@example.com","password":"correct horse battery"}'
curl -sf -XPOST "$api/accounts" -H "$json" -d "$body" >/dev/null
token=$(curl -sf -XPOST "$api/sessions" -H "$json" -d "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -sf -XPOST "$api/sessions/current/reauth" -H "$json" -H "Authorization: Bearer $token" \
  -d '{"method":"password","password":"correct horse battery"}' >/dev/null
pat=$(curl -sf -XPOST "$api/me/tokens" -H "$json" -H "Authorization: Bearer $token" \
  -d '{"name":"bench","expires_in":86400,"scopes":["read"]}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
credentials=$("$bin" app create --name bench 2>/dev/null)
client_id=$(sed -n 's/^client_id: //p' <<<"$credentials")
client_secret=$(sed -n 's/^client_secret: //p' <<<"$credentials")
basic=$(printf '%s:%s' "$client_id" "$client_secret" | base64 -w0)
script=$(mktemp)
trap 'kill $server; rm -rf "$data" "$script"' EXIT
for kind in session personal_access_token; do
  [ "$kind" = session ] && subject=$token || subject=$pat
  cat >"$script" <<LUA
wrk.method = "POST"
wrk.body = "token=$subject"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $basic"
LUA
  echo "== introspecting a $kind"
  taskset -c 1 wrk -t1 -c32 -d10s --latency -s "$script" "$api/introspect"
done
grep -E 'VmRSS|VmHWM' "/proc/$server/status"
