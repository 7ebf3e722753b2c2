"""Response headers every request gets: the request id (issue 11 item 15) and caching/transport rules."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tandem.audit.models import AuditEvent
from tests.policy.test_policies import policy_body

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
