"""Batch intake (批量报案, issue 21): per-row results, nothing half-written, idempotent retries."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from tandem.audit.models import AuditEvent
from tandem.claim.models import Claim, IdempotencyKey
from tests.helpers import POLICY1, _body, policy_id

POLICY2 = "PCA2026441900002"  # insured2's


def _row(key: str, **kw):
    row = _body(None, **kw)
    row.pop("policy_id")
    return {"idempotency_key": key, "policy_number": POLICY2, **row}


def _counts(env) -> tuple[int, int, int]:
    with env.session() as s:
        claims = s.execute(select(func.count()).select_from(Claim)).scalar_one()
        keys = s.execute(select(func.count()).select_from(IdempotencyKey)).scalar_one()
        notified = s.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "claim.notified")
        ).scalar_one()
    return claims, keys, notified


def test_rows_are_created_known_or_refused_with_their_field(env):
    rows = [
        _row("cc-1", location="广东省东莞市长安镇振安中路128号"),
        {**_row("cc-2"), "policy_number": None, "policy_id": policy_id(env, POLICY1)},
        _row("cc-3", location="x"),
        _row("cc-4") | {"policy_number": "NO-SUCH-POLICY"},
        _row("cc-1", location="广东省东莞市长安镇振安中路128号"),
        _row("cc-6", loss_at="2027-06-01T10:00:00+08:00"),
        _row("cc-1", location="广东省东莞市虎门镇"),
    ]
    r = env.client("broker").post("/api/v1/claims/batch", json=rows)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["created"], out["known"], out["refused"]) == (2, 1, 4)
    got = [(x["row"], x["outcome"], x["field"]) for x in out["rows"]]
    assert got == [
        (1, "created", None),
        (2, "created", None),
        (3, "refused", "location"),
        (4, "refused", "policy_number"),
        (5, "known", None),
        (6, "refused", "loss_at"),
        (7, "refused", "idempotency_key"),
    ]
    first = out["rows"][0]
    assert first["number"].startswith("LP-2026-") and out["rows"][4]["claim_id"] == first["claim_id"]
    assert out["rows"][1]["status"] == "routed"  # insured1's policy designates 王建国: routed as a single notice is
    # Nothing of a refused row was written: two claims, two keys, two audit events.
    assert _counts(env) == (2, 2, 2)
    # The insured sees its claim as if notified alone.
    mine = env.client("insured2").get(f"/api/v1/claims/{first['claim_id']}").json()
    assert mine["location"] == "广东省东莞市长安镇振安中路128号"


def test_a_retried_batch_as_json_lines_changes_nothing(env):
    rows = [_row(f"jl-{i}", description=f"仓库进水第{i}批货物受损") for i in range(5)] + [_row("jl-bad", channel="fax")]
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    c = env.client("broker")
    first = c.post("/api/v1/claims/batch", content=body, headers={"Content-Type": "application/x-ndjson"}).json()
    assert (first["created"], first["refused"]) == (5, 1) and first["rows"][5]["field"] == "channel"
    before = _counts(env)
    again = c.post("/api/v1/claims/batch", content=body, headers={"Content-Type": "application/x-ndjson"}).json()
    assert (again["created"], again["known"], again["refused"]) == (0, 5, 1)
    assert [x["claim_id"] for x in again["rows"]] == [x["claim_id"] for x in first["rows"]]
    # One row retried alone through the single-notice API answers with the same claim.
    one = {k: v for k, v in rows[2].items() if k not in ("idempotency_key", "policy_number")}
    one["policy_id"] = policy_id(env, POLICY2)
    single = c.post("/api/v1/claims", json=one, headers={"Idempotency-Key": "jl-2"})
    assert single.status_code == 200 and single.json()["id"] == first["rows"][2]["claim_id"]
    assert _counts(env) == before


def test_a_body_that_is_no_batch_is_refused_whole(env):
    c = env.client("broker")
    r = c.post("/api/v1/claims/batch", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "body" in r.json()["error"]["fields"]
    r = c.post("/api/v1/claims/batch", json=[_row("x")] * 10_001)
    assert r.status_code == 422 and "body" in r.json()["error"]["fields"]
    r = c.post("/api/v1/claims/batch", json=[])
    assert r.status_code == 422
    assert env.client("adjuster1").post("/api/v1/claims/batch", json=[_row("x")]).status_code == 403
    assert _counts(env) == (0, 0, 0)


def test_another_insureds_policy_is_refused_like_an_unknown_one(env):
    r = env.client("insured1").post("/api/v1/claims/batch", json=[_row("o-1")]).json()
    assert r["rows"][0]["outcome"] == "refused" and r["rows"][0]["field"] == "policy_number"
    pid = policy_id(env, POLICY2)
    r = (
        env.client("insured1")
        .post("/api/v1/claims/batch", json=[{**_row("o-2"), "policy_number": None, "policy_id": pid}])
        .json()
    )
    assert r["rows"][0]["field"] == "policy_id"
    assert _counts(env) == (0, 0, 0)
