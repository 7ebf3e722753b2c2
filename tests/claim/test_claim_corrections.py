"""Issue 22 corrections through the API: survey facts, the adjuster's replacement value in the amount,
aggregate limits that shrink, guard rails on offers, signatures in person, the umpire, the insured's say."""

from __future__ import annotations

from tests.claim.test_journey_api import _draft, _ok

POLICY1 = "PQC2026330400001"  # insured1's; designates 王建国 (adjuster1)


def policy_id(env, number: str) -> str:
    items = env.client("broker").get("/api/v1/policies").json()["items"]
    return next(p["id"] for p in items if p["number"] == number)


def notice(env, user: str = "insured1", number: str = POLICY1, **kw) -> str:
    body = {
        "policy_id": policy_id(env, number),
        "loss_at": "2026-11-24T22:30:00+08:00",
        "location": "浙江省嘉兴市南湖区亚中路88号",
        "description": "2号车间夜间起火",
        "channel": "web",
        **kw,
    }
    return _ok(env.client(user).post("/api/v1/claims", json=body), 201)["id"]


def accepted_with_team(env, cid: str) -> dict[str, str]:
    """Firm A accepts the letter and puts 李娜 on the case; returns firm A's adjusters by name."""
    firm = env.client("adjuster1")
    _ok(
        firm.post(
            f"/api/v1/claims/{cid}/appointment",
            json={"accept": True, "fee_basis": "按定损金额的1.5%", "fee_payment_days": 30},
        )
    )
    me = {a["name"]: a["id"] for a in firm.get("/api/v1/adjusters").json()["items"]}
    _ok(firm.post(f"/api/v1/claims/{cid}/team", json={"adjuster_id": me["李娜"]}))
    return me


# ---- item 7: survey facts ------------------------------------------------------------------------


def test_actual_survey_time_is_between_the_notice_and_now_and_reports_follow_a_done_survey(env):
    cid = notice(env)  # notified at the clock's now: 2026-11-25 10:00 Beijing time
    me = accepted_with_team(env, cid)
    firm = env.client("adjuster1")
    url = f"/api/v1/claims/{cid}/surveys"
    for when in ("2026-11-25T09:59:00+08:00", "2026-11-25T12:00:00+08:00", "2026-11-20T10:00:00+08:00"):
        r = firm.post(url, json={"scheduled_at": "2026-11-25T14:00:00+08:00", "surveyed_at": when})
        assert r.status_code == 422, (when, r.text)
        assert list(r.json()["error"]["fields"]) == ["surveyed_at"], r.text
    case = _ok(firm.get(f"/api/v1/claims/{cid}/case"))
    assert case["surveys"] == [] and case["claim"]["status"] == "adjuster_assigned"  # nothing half-written

    # Only scheduled: the report cannot be submitted yet.
    _ok(firm.post(url, json={"scheduled_at": "2026-11-25T14:00:00+08:00"}))
    _ok(firm.put(f"/api/v1/claims/{cid}/report-draft", json=_draft()))
    r = firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"], me["李娜"]]})
    assert r.status_code == 409 and "survey" in r.json()["error"]["message"], r.text
    assert _ok(firm.get(f"/api/v1/claims/{cid}/case"))["reports"] == []

    # Recorded as done (at the notice minute, and later as the clock moves): now it can.
    _ok(firm.post(url, json={"scheduled_at": "2026-11-25T10:00:00+08:00", "surveyed_at": "2026-11-25T10:00:00+08:00"}))
    env.clock.advance(hours=3)
    _ok(firm.post(url, json={"scheduled_at": "2026-11-25T12:00:00+08:00", "surveyed_at": "2026-11-25T12:30:00+08:00"}))
    case = _ok(firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"], me["李娜"]]}), 201)
    assert case["reports"]
