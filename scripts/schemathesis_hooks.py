"""Schemathesis hooks for scripts/schemathesis.sh.

The run acts as the owner created for it, with one session signed in and
stepped up by the auth provider below. That session must outlive the run: the
run's own wrong passwords (`PUT /me/password`) soon reach the account's
password limit, after which signing in again is refused (`429`), as it must
be. So nothing in the run may end it: `DELETE /sessions/current` is left out
of the run (scripts/schemathesis.sh; the suite tests signing out), and
`before_call` below turns a `DELETE /sessions/{id}` naming this session (the
stateful phase can take the id from `GET /sessions`) into one naming an
unknown session. A 401 on a probe without credentials makes schemathesis ask
the provider again; it keeps the token while `GET /sessions/current` accepts
it.
"""

import os
import sys
import uuid

import requests
import schemathesis

BASE = os.environ["TWOFOLD_ST_BASE"]
EMAIL = os.environ["TWOFOLD_ST_EMAIL"]
PASSWORD = os.environ["TWOFOLD_ST_PASSWORD"]
# The server trusts X-Forwarded-For from 127.0.0.1 for this run: the
# provider's sign-ins come from an address of their own, so the per-address
# sign-in limit the run's wrong sign-ins reach (from 127.0.0.1) does not stop
# it.
OWN_ADDRESS = {"X-Forwarded-For": "192.0.2.1"}


def log(message):
    print(f"schemathesis auth: {message}", file=sys.stderr)


@schemathesis.auth(refresh_interval=3600)
class OwnerSession:
    token = None
    session_id = None

    def get(self, case, ctx):
        # Most 401s are the run's own unauthenticated probes: keep a token
        # that still works rather than signing in again.
        if self.token is not None:
            current = requests.get(
                f"{BASE}/sessions/current",
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=30,
            )
            if current.status_code == 200:
                return self.token
        signed_in = requests.post(
            f"{BASE}/sessions",
            json={"email": EMAIL, "password": PASSWORD},
            headers=OWN_ADDRESS,
            timeout=30,
        )
        if signed_in.status_code != 201:
            log(f"sign-in refused: {signed_in.status_code} {signed_in.text}")
            raise RuntimeError(f"sign-in refused: {signed_in.status_code} {signed_in.text}")
        token = signed_in.json()["token"]
        OwnerSession.session_id = signed_in.json()["session"]["id"]
        stepped_up = requests.post(
            f"{BASE}/sessions/current/reauth",
            json={"method": "password", "password": PASSWORD},
            headers={"Authorization": f"Bearer {token}", **OWN_ADDRESS},
            timeout=30,
        )
        # Wrong proofs the run itself sends to this route may have it
        # rate-limited for a while: the token is still good for the routes
        # that need no step-up.
        if stepped_up.status_code != 200:
            log(f"step-up refused: {stepped_up.status_code} {stepped_up.text}")
        OwnerSession.token = token
        return token

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def before_call(context, case, kwargs):
    operation = case.operation
    if operation.method.upper() == "DELETE" and operation.path == "/sessions/{id}":
        if (case.path_parameters or {}).get("id") == OwnerSession.session_id:
            case.path_parameters["id"] = str(uuid.uuid4())
