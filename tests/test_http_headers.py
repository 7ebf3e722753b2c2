"""Response headers every request gets: the request id (issue 11 item 15) and caching/transport rules."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tandem.audit.models import AuditEvent
from tests.helpers import policy_body

GENERATED = re.compile(r"^[0-9a-f]{16}$")


@pytest.mark.parametrize(
    "sent",
    ["a" * 65, "bad id", "x\u00e9y", "<script>", "a;b", "id\x7f"],
)
def test_a_client_request_id_that_is_not_a_short_token_is_replaced(env, sent: str) -> None:
    """Over 64 characters (500 on PostgreSQL before), spaces, non-ASCII or punctuation: a generated
    id is used instead, in the response and in the audit event the request writes."""
    c = env.client("broker")
    r = c.post("/api/v1/policies", json=policy_body(env), headers={"X-Request-Id": sent.encode("latin-1")})
    assert r.status_code == 201, r.text
    rid = r.headers["X-Request-Id"]
    assert rid != sent and GENERATED.match(rid)
    with env.session() as s:
        stored = s.execute(select(AuditEvent.request_id).where(AuditEvent.entity_id == r.json()["id"])).scalar_one()
    assert stored == rid


def test_a_short_token_request_id_is_kept(env) -> None:
    sent = "Abc-123_x." + "z" * 54  # 64 characters of the allowed alphabet
    r = env.client("broker").post("/api/v1/policies", json=policy_body(env), headers={"X-Request-Id": sent})
    assert r.status_code == 201, r.text
    assert r.headers["X-Request-Id"] == sent
    with env.session() as s:
        stored = s.execute(select(AuditEvent.request_id).where(AuditEvent.entity_id == r.json()["id"])).scalar_one()
    assert stored == sent
    assert GENERATED.match(env.client().get("/healthz").headers["X-Request-Id"])


# ---- caching and transport (issue 11 item 10) -----------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def _claim_with_document(env) -> tuple[str, str]:
    from tests.helpers import _body, _policy

    c = env.client("insured1")
    cid = c.post("/api/v1/claims", json=_body(_policy(env, "insured1", "PQC2026330400001")["id"])).json()["id"]
    r = c.post(f"/api/v1/claims/{cid}/documents", files={"file": ("roof.png", PNG, "image/png")})
    assert r.status_code == 201, r.text
    return cid, r.json()["documents"][0]["id"]


def test_api_answers_and_downloads_are_not_stored_by_caches(env) -> None:
    cid, doc = _claim_with_document(env)
    c = env.client("insured1")
    for r in (
        c.get("/api/v1/me"),
        c.get("/api/v1/policies"),
        c.get(f"/api/v1/claims/{cid}"),
        c.get("/api/v1/claims/not-a-claim"),
        env.client().get("/api/v1/me"),
        env.client().post("/api/v1/auth/token", json={"username": "broker", "password": "wrong-password"}),
        c.get(f"/api/v1/claims/{cid}/documents/{doc}"),
    ):
        assert r.headers.get("Cache-Control") == "no-store", (r.request.url, r.status_code)
    download = c.get(f"/api/v1/claims/{cid}/documents/{doc}")
    assert download.status_code == 200 and download.content == PNG


def test_hsts_is_sent_when_cookies_are_secure_and_only_then(env) -> None:
    from fastapi.testclient import TestClient

    from tandem.app import create_app

    assert env.settings.cookie_secure
    for path in ("/healthz", "/login", "/api/v1/me"):
        hsts = env.client().get(path).headers.get("Strict-Transport-Security", "")
        assert hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) >= 31536000, path
    plain = create_app(env.settings.model_copy(update={"cookie_secure": False}), clock=env.clock, engine=env.engine)
    with TestClient(plain, base_url="http://testserver") as c:
        assert "Strict-Transport-Security" not in c.get("/healthz").headers
        assert "Strict-Transport-Security" not in c.get("/login").headers
