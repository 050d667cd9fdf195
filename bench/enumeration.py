#!/usr/bin/env python3
"""Enumeration timing: median sign-in answer time for an unknown email versus
a wrong password, 200 tries each, against a running `twofold serve`.

Start the server with trusted_proxies so each try can come from its own
address (otherwise the per-address limit of 100 failures stops the run):

    TWOFOLD_SIGNUP=open TWOFOLD_TRUSTED_PROXIES=127.0.0.1/32 \
        TWOFOLD_DATA_DIR=$(mktemp -d) target/release/twofold serve &
    python3 bench/enumeration.py http://127.0.0.1:8080

Each wrong-password try uses its own account (the per-account limit is 10).
Stdlib only; prints medians, p10/p90, and the status codes seen.
"""
import json
import statistics
import sys
import time
import urllib.error
import urllib.request

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 200
PASSWORD = "correct horse battery"


def post(path, body, forwarded):
    req = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "x-forwarded-for": forwarded},
        method="POST",
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req) as resp:
            status, text = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    return time.perf_counter() - start, status, text


def addr(i, kind):
    return f"198.{18 + kind}.{i // 250}.{i % 250 + 1}"


def main():
    for i in range(N):
        _, status, text = post("/api/v1/accounts", {"email": f"user{i}@example.com", "password": PASSWORD}, addr(i, 0))
        if status not in (201, 202):
            sys.exit(f"cannot create accounts: {status} {text!r}")
    wrong, unknown, statuses, bodies = [], [], {}, set()
    # Interleave the two kinds so drift affects both alike.
    for i in range(N):
        t, s, b = post("/api/v1/sessions", {"email": f"user{i}@example.com", "password": "wrong password!"}, addr(i, 1))
        wrong.append(t); statuses[("wrong", s)] = statuses.get(("wrong", s), 0) + 1; bodies.add(b)
        t, s, b = post("/api/v1/sessions", {"email": f"nobody{i}@example.com", "password": "wrong password!"}, addr(i, 2))
        unknown.append(t); statuses[("unknown", s)] = statuses.get(("unknown", s), 0) + 1; bodies.add(b)

    def describe(name, xs):
        xs = sorted(xs)
        q = statistics.quantiles(xs, n=10)
        print(f"{name:15} median {statistics.median(xs) * 1000:7.2f} ms   p10 {q[0] * 1000:7.2f}   p90 {q[-1] * 1000:7.2f}   (n={len(xs)})")

    describe("wrong password", wrong)
    describe("unknown email", unknown)
    diff = (statistics.median(unknown) - statistics.median(wrong)) * 1000
    print(f"difference of medians: {diff:+.2f} ms")
    print("statuses:", statuses)
    print("distinct bodies:", len(bodies), [b.decode() for b in bodies])


if __name__ == "__main__":
    main()
