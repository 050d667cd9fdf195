#!/usr/bin/env bash
# Memory under a sign-in storm: starts the release server (SQLite, its own
# data folder, hash_concurrency as configured: default one per core), then
# reports VmRSS idle, after one sign-up, the peak (VmHWM) and VmRSS after 500
# concurrent sign-ins (all sockets opened, then every request written, then
# every answer read), then after a second storm. Each sign-in names its own
# email and comes from its own address (X-Forwarded-For from a trusted
# loopback proxy): from one account or one address, the attempt limits would
# refuse all but a few before any hashing, and the storm would measure
# nothing. Unknown emails cost the same Argon2id run as known ones. README states the bound
# this checks by eye:
# idle + permits x 19 MiB + a small margin. Prints figures; asserts nothing.
#
# Usage: bench/hashing_memory.sh [path/to/twofold]   (default: the release
# build under $CARGO_TARGET_DIR or target/, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-${CARGO_TARGET_DIR:-target}/release/twofold}
[ -x "$bin" ] || cargo build --release --bin twofold
storm=${STORM:-500}
port=${PORT:-18097}
data=$(mktemp -d)
TWOFOLD_DATA_DIR="$data" TWOFOLD_LISTEN="127.0.0.1:$port" TWOFOLD_SIGNUP=open TWOFOLD_LOG=warn \
  TWOFOLD_TRUSTED_PROXIES=127.0.0.1/32 \
  "$bin" serve >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done

report() {
  awk -v what="$1" '$1 == "VmRSS:" { rss = $2 } $1 == "VmHWM:" { hwm = $2 }
    END { printf "%-24s VmRSS %7.1f MiB   VmHWM (peak) %7.1f MiB\n", what, rss / 1024, hwm / 1024 }' \
    "/proc/$server/status"
}

sleep 1
report "idle"
body='{"email":"bench@example.com","password":"correct horse battery"}'
curl -sf -XPOST "http://127.0.0.1:$port/api/v1/accounts" -H 'content-type: application/json' -d "$body" >/dev/null
report "after one sign-up"

storm() {
  python3 - "$port" "$storm" <<'EOF'
import collections, json, socket, sys, time
port, storm = int(sys.argv[1]), int(sys.argv[2])
def request(i):
    body = json.dumps({"email": f"storm{i}@example.com", "password": "correct horse battery"}).encode()
    return (f"POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"X-Forwarded-For: 198.18.{i // 256}.{i % 256}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode() + body
started = time.monotonic()
sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(storm)]
for i, s in enumerate(sockets):
    s.sendall(request(i))
statuses = collections.Counter()
for s in sockets:
    s.settimeout(120)
    answer = b""
    try:
        while chunk := s.recv(65536):
            answer += chunk
    except OSError:
        pass
    s.close()
    statuses[answer.split(b" ", 2)[1].decode() if answer else "no answer"] += 1
print(f"{storm} concurrent sign-ins in {time.monotonic() - started:.1f} s: "
      + ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items())))
EOF
}

storm
report "right after the storm"
sleep 3
report "3 s after the storm"
storm
report "after a second storm"
