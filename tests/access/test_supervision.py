"""Supervision reads and never writes (issue 11 item 4): every write route of the app — API and pages,
found by walking the app's routes — called by the regulator on a case it takes part in answers 403 and
changes no row of any table. The only writes a regulator makes are about its own session, account and
inbox (``tandem.deps.OWN_WRITES``), and they work — and its own records on practitioners (sanctions,
verification records, registration changes: ``SUPERVISION_WRITES``, tested in tests/party/test_practice.py)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from tandem.demo import DEMO_PASSWORD
from tandem.deps import OWN_WRITES, SUPERVISION_WRITES
from tandem.report.models import Report
from tests.helpers import PageSessions, _to_reported, all_routes, snapshot

WRITE = {"POST", "PUT", "PATCH", "DELETE"}
# Writes that take no signed-in user at all: signing in, the gateway's signed webhook, and what a one-time
# link or an empty database allows (accepting an invitation, resetting a password, the first-run set-up).
SIGN_IN = {
    ("POST", "/api/v1/auth/token"),
    ("POST", "/login"),
    ("POST", "/api/v1/intake/messages"),
    ("POST", "/api/v1/invitations/accept"),
    ("POST", "/api/v1/auth/password-reset"),
    ("POST", "/api/v1/auth/password-reset/confirm"),
    ("POST", "/login/code"),
    ("POST", "/login/enrol"),
    ("POST", "/login/setup"),
    ("POST", "/login/reset"),
    ("POST", "/login/reset/{token}"),
    ("POST", "/login/invitation/{token}"),
}


def test_supervision_writes_nowhere(env):
    cid = _to_reported(env)
    with env.session() as s:
        report_id = str(s.execute(select(Report.id)).scalar_one())
    regulator = env.client("regulator")
    assert regulator.get(f"/api/v1/claims/{cid}/case").status_code == 200  # it reads the case
    routes = [(m, p) for m, p in all_routes(env.app) if m in WRITE]
    assert len(routes) > 60
    # Every write operation of the OpenAPI schema is among them (the census misses no documented route).
    documented = {(m.upper(), p) for p, ops in env.app.openapi()["paths"].items() for m in ops if m.upper() in WRITE}
    assert len(documented) > 40 and documented <= set(routes), documented - set(routes)
    own = {(m, p) for m, p in routes if p in OWN_WRITES | SUPERVISION_WRITES}
    assert {p for _m, p in own} == set(OWN_WRITES | SUPERVISION_WRITES), "a route named there does not exist"
    callers = PageSessions(env)
    before = snapshot(env)
    refused = []
    try:
        for method, path in routes:
            if (method, path) in SIGN_IN or (method, path) in own:
                continue
            url = re.sub(r"{claim_id(?::\w+)?}", cid, path)
            url = re.sub(r"{report_id(?::\w+)?}", report_id, url)
            url = re.sub(r"{\w+(?::\w+)?}", str(uuid.uuid4()), url)
            if path.startswith("/api/"):
                r = regulator.request(method, url, json={})
            else:
                page = callers.page("regulator")
                r = page.request(method, url, data={"csrf_token": page.headers["X-CSRF-Token"]})
            assert r.status_code == 403, (method, path, r.status_code, r.text[:300])
            refused.append((method, path))
    finally:
        callers.close()
    assert snapshot(env) == before
    # Its own writes are not refused: it reads its notifications and changes its password.
    assert regulator.post("/api/v1/notifications/read").status_code == 200
    r = regulator.post(
        "/api/v1/me/password", json={"current_password": DEMO_PASSWORD, "new_password": "a quiet harbour at dawn 7"}
    )
    assert r.status_code in (200, 204), r.text
    assert ("POST", "/api/v1/claims/{claim_id}/documents") in refused
    assert ("POST", "/claims/{claim_id}/documents") in refused
    assert documented <= set(refused) | SIGN_IN | own
