"""保险法 Art. 23 / 25 clocks run from the claim, not from the adjusting report (issue 22 item 17)."""

from __future__ import annotations

import datetime as dt

from tests.helpers import ACCEPT, _draft, _ok, co_sign


def _clocks(case):
    return {d["kind"]: d for d in case["deadlines"]}


def _at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _notice(env, user: str, policy_number: str, location: str) -> str:
    client = env.client(user)
    policy = next(p for p in client.get("/api/v1/policies").json()["items"] if p["number"] == policy_number)
    body = {"policy_id": policy["id"], "loss_at": "2026-11-24T22:30:00+08:00", "location": location}
    return str(
        _ok(client.post("/api/v1/claims", json={**body, "description": "车间进水", "channel": "web"}), 201)["id"]
    )


def test_decision_and_advance_clocks_start_with_the_notice_not_the_report(env):
    cid = _notice(env, "insured1", "PQC2026330400001", "浙江省嘉兴市南湖区亚中路88号")  # routed to 王建国
    notified = env.clock.now()
    env.clock.advance(days=3)  # the firm works three days before its report
    env._clients.clear()
    firm = env.client("adjuster1")
    _ok(firm.post(f"/api/v1/claims/{cid}/appointment", json=ACCEPT))
    me = {a["name"]: a["id"] for a in firm.get("/api/v1/adjusters").json()["items"]}
    _ok(firm.post(f"/api/v1/claims/{cid}/team", json={"adjuster_id": me["李娜"]}))
    surveyed = (notified + dt.timedelta(days=1)).isoformat()
    _ok(firm.post(f"/api/v1/claims/{cid}/surveys", json={"scheduled_at": surveyed, "surveyed_at": surveyed}))
    _ok(firm.put(f"/api/v1/claims/{cid}/report-draft", json=_draft()))
    _ok(firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"], me["李娜"]]}), 201)
    case = co_sign(env.client("adjuster2"), cid)
    assert case["claim"]["status"] == "reported"
    clocks = _clocks(_ok(env.client("insurer1").get(f"/api/v1/claims/{cid}/case")))
    assert _at(clocks["decision_30d"]["started_at"]) == notified
    assert _at(clocks["decision_30d"]["due_at"]) == notified + dt.timedelta(days=30)
    assert _at(clocks["advance_60d"]["due_at"]) == notified + dt.timedelta(days=60)
    assert clocks["decision_30d"]["holder"] == clocks["advance_60d"]["holder"] == "insurer"


def test_a_notice_has_its_clocks_before_any_report_and_complete_documents_restart_them(env):
    insurer = env.client("insurer1")
    cid = _notice(env, "insured1", "PQC2026330400001", "浙江省嘉兴市")
    case = _ok(insurer.get(f"/api/v1/claims/{cid}/case"))
    assert {"decision_30d", "advance_60d"} <= set(_clocks(case))
    _ok(insurer.post(f"/api/v1/claims/{cid}/documents-request", json={"items": ["受损财产清单"], "due_days": 10}), 201)
    env.clock.current = env.clock.now() + dt.timedelta(days=4)
    env._clients.clear()  # the tokens expired with the moved clock
    case = _ok(env.client("insured1").post(f"/api/v1/claims/{cid}/documents-complete"))
    clocks = _clocks(case)
    # Art. 23: 30 days from the complete documents; Art. 25: 60 days from the claim and its documents.
    assert _at(clocks["decision_30d"]["started_at"]) == env.clock.now()
    assert _at(clocks["decision_30d"]["due_at"]) == env.clock.now() + dt.timedelta(days=30)
    assert _at(clocks["advance_60d"]["due_at"]) == env.clock.now() + dt.timedelta(days=60)


def test_withdrawal_stops_the_clocks(env):
    cid = _notice(env, "insured2", "PCA2026441900002", "广东省东莞市")
    case = _ok(env.client("insured2").post(f"/api/v1/claims/{cid}/withdraw", json={"reason": "重复报案"}))
    clocks = _clocks(case)
    assert clocks["decision_30d"]["stopped_at"] and clocks["advance_60d"]["stopped_at"]
