"""Crafted input (issue 11 item 5) is a 422 naming the field, never a 500: datetimes whose offset pushes
them past year 1 or 9999, NUL characters in any text (query, JSON, forms — PostgreSQL cannot store them),
and a correctly signed webhook whose body fails validation. The schemathesis run
(tests/test_api_schema.py) keeps sending NUL bytes and extreme dates to every operation."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.helpers import _body, _policy, _to_reported, csrf_of, logged_in

EXTREME = [
    "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
    "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
    "9999-12-31T20:00:00+00:00",  # representable, but every deadline after it is not
    "0001-01-01T05:00:00Z",
]


def _field(r) -> dict[str, str]:
    assert r.status_code == 422, (r.status_code, r.text[:300])
    return r.json()["error"]["fields"]


@pytest.mark.parametrize("when", EXTREME)
def test_extreme_datetimes_are_refused_naming_the_field(env, when):
    pol = _policy(env, "insured2", "PCA2026441900002")
    r = env.client("insured2").post("/api/v1/claims", json={**_body(pol["id"]), "loss_at": when})
    assert "loss_at" in _field(r)
    cid = _to_reported(env) if when == EXTREME[0] else None
    if cid:
        r = env.client("adjuster1").post(f"/api/v1/claims/{cid}/surveys", json={"scheduled_at": when})
        assert "scheduled_at" in _field(r)


def test_extreme_dates_are_refused_naming_the_field(env):
    r = env.client("broker").post(
        "/api/v1/blacklist",
        json={"adjuster_id": "00000000-0000-0000-0000-000000000000", "reason": "x", "valid_from": "9999-12-31"},
    )
    assert "valid_from" in _field(r)


def test_nul_characters_are_refused_naming_the_field(env):
    broker = env.client("broker")
    assert "q" in _field(broker.get("/api/v1/claims", params={"q": "\x00"}))
    pol = _policy(env, "insured2", "PCA2026441900002")
    r = env.client("insured2").post("/api/v1/claims", json={**_body(pol["id"]), "description": "起火\x00"})
    assert "description" in _field(r)
    r = env.client("insured2").post(
        "/api/v1/claims", json={**_body(pol["id"]), "reporter": {"name": "沈\x00", "phone": "13957312345"}}
    )
    assert "reporter.name" in _field(r)
    cid = _to_reported(env)
    r = broker.post(f"/api/v1/claims/{cid}/messages", json={"audience": "all", "body": "a\x00b"})
    assert "body" in _field(r)
    # Pages: the same refusal, naming the field on the error page.
    page = logged_in(env, "broker")
    token = csrf_of(page.get(f"/claims/{cid}").text)
    r = page.post(f"/claims/{cid}/messages", data={"csrf_token": token, "audience": "all", "body": "a\x00b"})
    assert r.status_code == 422 and "body" in r.text
    with env.session() as s:
        from sqlalchemy import func, select

        from tandem.claim.models import Message

        assert s.execute(select(func.count()).select_from(Message)).scalar_one() == 0


def _signed(env, body: bytes) -> dict[str, str]:
    sig = hmac.new(env.settings.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Tandem-Signature": f"sha256={sig}", "Content-Type": "application/json"}


def test_a_signed_webhook_that_fails_validation_is_a_422(env):
    c = env.client()
    for doc, field in (
        (
            {
                "channel": "fax",
                "message_id": "m1",
                "recipient": "gh_hengxin_claims",
                "sender": {},
                "text": "x",
                "received_at": "2026-11-25T10:00:00+08:00",
            },
            "channel",
        ),
        (
            {
                "channel": "wechat",
                "message_id": "m2",
                "recipient": "gh_hengxin_claims",
                "sender": {},
                "text": "x",
                "received_at": EXTREME[1],
            },
            "received_at",
        ),
    ):
        raw = json.dumps(doc).encode()
        assert field in _field(c.post("/api/v1/intake/messages", content=raw, headers=_signed(env, raw)))
    raw = b"{not json"
    r = c.post("/api/v1/intake/messages", content=raw, headers=_signed(env, raw))
    assert r.status_code == 422, r.text
