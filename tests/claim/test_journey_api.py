"""One claim from notice to payment through the API alone, every party doing its part (R-C1..R-C4)."""

from __future__ import annotations

from sqlalchemy import select, text

from tandem.report.models import Report
from tests.helpers import _ok, _to_reported, notice_to_payment


def test_notice_to_payment_through_the_api(env):
    notice_to_payment(env)  # the steps and their checks: tests/helpers.py (the notifications test runs them too)


def test_submitted_reports_refuse_update_in_the_database(env):
    _to_reported(env)  # a submitted, signed report
    with env.engine.connect() as conn:
        rid = conn.execute(select(Report.id)).scalars().first()
        conn.rollback()
        for stmt in ("UPDATE report SET total_loss = 1", "DELETE FROM report_signature"):
            try:
                with conn.begin():
                    conn.execute(text(stmt))
            except Exception as exc:
                assert "append-only" in str(exc)
            else:
                raise AssertionError(f"{stmt} was not refused")
    assert rid is not None


def test_missing_documents_are_requested_once_in_full(env):
    insured, insurer = env.client("insured1"), env.client("insurer1")
    policy = next(p for p in insured.get("/api/v1/policies").json()["items"] if p["number"] == "PQC2026330400001")
    cid = _ok(
        insured.post(
            "/api/v1/claims",
            json={
                "policy_id": policy["id"],
                "loss_at": "2026-11-24T22:30:00+08:00",
                "location": "浙江省嘉兴市",
                "description": "仓库进水",
                "channel": "web",
            },
        ),
        201,
    )["id"]
    case = _ok(
        insurer.post(
            f"/api/v1/claims/{cid}/documents-request",
            json={"items": ["消防部门火灾事故认定书", "受损财产清单"], "due_days": 10},
        ),
        201,
    )
    assert any(d["kind"] == "documents" and d["holder"] == "insured" for d in case["deadlines"])
    assert "火灾事故认定书" in case["messages"][-1]["body"]
    r = insurer.post(f"/api/v1/claims/{cid}/documents-request", json={"items": ["另一份材料"]})
    assert r.status_code == 409
    case = _ok(insured.post(f"/api/v1/claims/{cid}/documents-complete"))
    assert next(d for d in case["deadlines"] if d["kind"] == "documents")["stopped_at"] is not None


def test_two_users_racing_one_transition_one_wins(env):
    import threading

    insured = env.client("insured2")
    policy = next(p for p in insured.get("/api/v1/policies").json()["items"] if p["number"] == "PCA2026441900002")
    cid = _ok(
        insured.post(
            "/api/v1/claims",
            json={
                "policy_id": policy["id"],
                "loss_at": "2026-11-24T22:30:00+08:00",
                "location": "广东省东莞市",
                "description": "车间起火",
                "channel": "web",
            },
        ),
        201,
    )["id"]
    # The insured and the broker both withdraw the notice at the same moment.
    clients = [env.client("insured2"), env.client("broker")]
    codes: list[int] = []

    def go(c):
        codes.append(c.post(f"/api/v1/claims/{cid}/withdraw", json={"reason": "重复报案"}).status_code)

    threads = [threading.Thread(target=go, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409], codes
    timeline = _ok(env.client("broker").get(f"/api/v1/claims/{cid}/case"))["timeline"]
    assert [e["action"] for e in timeline].count("claim.withdraw") == 1
