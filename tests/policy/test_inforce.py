"""A policy in force (issue 16 items 3 and 4): mid-term changes (批改) priced pro rata by day by the premium
engine and kept as versions that claims read at the loss time; suspension, reinstatement and termination
with the refund; claims intake refusing a loss after the effective date and taking one before it."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tandem import demo_inforce, demo_placements
from tandem.audit.models import AuditEvent
from tandem.claim.models import Claim
from tandem.kit.clock import SHANGHAI
from tandem.kit.workdays import previous_working_day, working_days_between
from tandem.policy import versions as policy_versions
from tandem.policy.models import Policy
from tandem.premium.cli import run_premium
from tandem.settlement import basis
from tandem.sla import calendar
from tests.helpers import POLICY1, _ok, inbox, logged_in, policy_id, run_jobs, text_of

LOSS = "2026-11-24T22:30:00+08:00"


def _sections(env, pid: str, **sums: str) -> list[dict[str, Any]]:
    """The policy's sections with a rate each (‰) and the sums insured given by code changed."""
    rates = {"building": "0.85", "machinery": "1.20", "stock": "1.50"}
    current = env.client("broker").get(f"/api/v1/policies/{pid}").json()["sections"]
    return [
        {
            "code": s["code"],
            "name": s["name"],
            "sum_insured": sums.get(s["code"], s["sum_insured"]),
            "rate_permille": rates[s["code"]],
        }
        for s in current
    ]


def _request(env, pid: str, effective: str = "2026-07-01", **sums: str):
    body = {"effective_date": effective, "sections": _sections(env, pid, **sums), "reason": "新增厂房投入使用"}
    return env.client("broker").post(f"/api/v1/policies/{pid}/endorsements", json=body)


def _act(env, user: str, pid: str, eid: str, action: str, reason: str | None = None):
    body: dict[str, Any] = {"action": action} | ({"reason": reason} if reason is not None else {})
    return env.client(user).post(f"/api/v1/policies/{pid}/endorsements/{eid}/actions", json=body)


def _calc(tmp_path: Path, doc: dict[str, Any]) -> dict[str, Any]:
    """What ``tandem calc premium`` answers for ``doc``."""
    path = tmp_path / "in.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out = run_premium(str(path))
    assert code == 0, out
    return json.loads(out)


def _status(env, user: str, pid: str, **body: Any):
    return env.client(user).post(f"/api/v1/policies/{pid}/status-changes", json=body)


def _notice(env, pid: str, loss_at: str = LOSS):
    body = {"policy_id": pid, "loss_at": loss_at, "location": "嘉兴", "description": "仓库进水", "channel": "web"}
    return env.client("insured1").post("/api/v1/claims", json=body)


# ---- mid-term changes ---------------------------------------------------------------------------------


def test_increase_of_sum_insured_is_priced_pro_rata_and_agrees_with_calc_premium(env, tmp_path) -> None:
    pid = policy_id(env, POLICY1)
    r = _request(env, pid, building="35000000.00")
    assert r.status_code == 201, r.text
    e = r.json()
    # 5 000 000 more at 0.85 ‰ is 4 250.00 a year; from 1 July 184 of 365 days remain:
    # 4250.00 − round(4250.00 × 181 / 365) = 4250.00 − 2107.53 = 2142.47.
    assert (e["status"], e["premium_delta"]) == ("requested", "2142.47")
    pricing = e["pricing"]
    for part in ("old", "new", "pro_rata"):
        assert _calc(tmp_path, pricing[part]["input"]) == pricing[part]["output"], part
    assert pricing["pro_rata"]["output"]["termination"]["refund"] == "2142.47"
    assert Decimal(pricing["new"]["output"]["total_premium"]) - Decimal(pricing["old"]["output"]["total_premium"]) == (
        Decimal("4250.00")
    )
    # Only the insurer answers; the broker cannot accept its own request, the claims handler has no say.
    assert _act(env, "broker", pid, e["id"], "accept").status_code == 403
    assert _act(env, "insurer1", pid, e["id"], "accept").status_code == 403
    assert f"保单 {POLICY1}：有一项批改待答复" in inbox(env, "underwriter1")
    ok = _act(env, "underwriter1", pid, e["id"], "accept")
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "accepted"
    assert f"保单 {POLICY1}：批改已接受" in inbox(env, "insured1")
    assert f"保单 {POLICY1}：批改已接受" in inbox(env, "broker")
    assert _act(env, "underwriter1", pid, e["id"], "decline", "晚了").status_code == 409
    versions = env.client("insured1").get(f"/api/v1/policies/{pid}/versions").json()
    assert [(v["number"], v["effective_date"], v["premium_delta"]) for v in versions] == [
        (1, "2026-01-01", "0.00"),
        (2, "2026-07-01", "2142.47"),
    ]
    assert versions[0]["sections"][0]["sum_insured"] == "30000000.00"
    assert versions[1]["sections"][0]["sum_insured"] == "35000000.00"
    policy = env.client("insured1").get(f"/api/v1/policies/{pid}").json()
    assert policy["sections"][0]["sum_insured"] == "35000000.00"
    assert policy["sections"][0]["deductible_amount"] == "10000.00"  # the other terms are kept
    with env.session() as s:
        actions = s.execute(select(AuditEvent.action).where(AuditEvent.entity_id == pid)).scalars().all()
    assert {"policy.endorsement.requested", "policy.endorsement.accepted"} <= set(actions)


def test_a_decrease_returns_premium_and_a_second_change_builds_on_the_first(env, tmp_path) -> None:
    pid = policy_id(env, POLICY1)
    first = _request(env, pid, "2026-03-01", stock="0.00").json()
    assert Decimal(first["premium_delta"]) < 0
    pr = first["pricing"]["pro_rata"]
    assert _calc(tmp_path, pr["input"]) == pr["output"]
    assert first["premium_delta"] == "-" + pr["output"]["termination"]["refund"]
    # one open request at a time
    assert _request(env, pid, "2026-04-01", stock="1.00").status_code == 409
    assert _act(env, "underwriter1", pid, first["id"], "accept").status_code == 200
    # not before the latest version
    early = _request(env, pid, "2026-02-01", building="1.00")
    assert early.status_code == 422 and "effective_date" in early.json()["error"]["fields"]
    second = _request(env, pid, "2026-09-01", building="31000000.00")
    assert second.status_code == 201, second.text
    assert second.json()["pricing"]["old"]["input"]["sections"][2]["sum_insured"] == "0.00"
    assert _act(env, "underwriter1", pid, second.json()["id"], "accept").status_code == 200
    numbers = [v["number"] for v in env.client("broker").get(f"/api/v1/policies/{pid}/versions").json()]
    assert numbers == [1, 2, 3]


def _at_nine(day: dt.date) -> dt.datetime:
    """A minute past 09:00 Asia/Shanghai on ``day``, in UTC (when the change's timers fall due)."""
    return dt.datetime.combine(day, dt.time(9, 1), tzinfo=SHANGHAI).astimezone(dt.UTC)


def test_a_change_unanswered_by_its_last_day_reminds_the_insurer_and_is_flagged_late(env) -> None:
    pid = policy_id(env, POLICY1)
    e = _request(env, pid, building="35000000.00").json()
    requested = env.clock.now().astimezone(SHANGHAI).date()
    due = dt.date.fromisoformat(e["answer_due"])
    with env.session() as s:  # the n-th working day after the request (the setting's default: 5)
        assert working_days_between(requested, due, calendar.load(s)) == env.settings.endorsement_answer_working_days
    assert e["late"] is False
    subject = f"保单 {POLICY1}：第 1 号批改须于 {due.isoformat()} 前答复"
    late = f"保单 {POLICY1}：保险人对第 1 号批改的答复已逾期（应于 {due.isoformat()} 前答复）"
    run_jobs(env)
    assert subject not in inbox(env, "underwriter1")  # not yet
    with env.session() as s:  # the working day before the last day
        env.clock.current = _at_nine(previous_working_day(due, calendar.load(s)))
    env._clients.clear()
    run_jobs(env)
    assert subject in inbox(env, "underwriter1") and subject not in inbox(env, "broker")
    assert _ok(env.client("broker").get(f"/api/v1/policies/{pid}/endorsements"))[0]["late"] is False
    env.clock.current = _at_nine(due + dt.timedelta(days=1))
    env._clients.clear()
    run_jobs(env)
    assert late in inbox(env, "underwriter1") and late in inbox(env, "broker")
    assert _ok(env.client("broker").get(f"/api/v1/policies/{pid}/endorsements"))[0]["late"] is True
    page = text_of(logged_in(env, "broker").get(f"/policies/{pid}"))
    assert "逾期未答复" in page and f"答复期限：{due.year}年{due.month}月{due.day}日" in page
    # Answered late: no longer flagged.
    assert _act(env, "underwriter1", pid, e["id"], "accept").status_code == 200
    assert _ok(env.client("broker").get(f"/api/v1/policies/{pid}/endorsements"))[0]["late"] is False
    assert "逾期未答复" not in text_of(logged_in(env, "broker").get(f"/policies/{pid}"))


def test_a_change_answered_in_time_sets_off_no_late_notice(env) -> None:
    pid = policy_id(env, POLICY1)
    e = _request(env, pid, building="35000000.00").json()
    due = dt.date.fromisoformat(e["answer_due"])
    assert _act(env, "underwriter1", pid, e["id"], "decline", "保额过高").status_code == 200
    env.clock.current = _at_nine(due + dt.timedelta(days=1))
    env._clients.clear()
    run_jobs(env)
    assert not [m for m in inbox(env, "broker") + inbox(env, "underwriter1") if due.isoformat() in m]


def test_bad_changes_are_refused_naming_the_field(env) -> None:
    pid = policy_id(env, POLICY1)
    outside = _request(env, pid, "2026-01-01", building="1.00")
    assert outside.status_code == 422 and "effective_date" in outside.json()["error"]["fields"]
    same = _request(env, pid)
    assert same.status_code == 422 and "sections" in same.json()["error"]["fields"]
    body = {"effective_date": "2026-07-01", "sections": _sections(env, pid), "reason": "x"}
    body["sections"][0]["rate_permille"] = "0"
    bad = env.client("broker").post(f"/api/v1/policies/{pid}/endorsements", json=body)
    assert bad.status_code == 422 and "rate_permille" in bad.text
    # a section without a rate cannot be dropped silently: its premium could not be returned
    body = {"effective_date": "2026-07-01", "sections": _sections(env, pid)[:2], "reason": "x"}
    dropped = env.client("broker").post(f"/api/v1/policies/{pid}/endorsements", json=body)
    assert dropped.status_code == 422 and "sections" in dropped.json()["error"]["fields"]
    # the insured and the insurer do not request changes
    body = {"effective_date": "2026-07-01", "sections": _sections(env, pid, stock="1.00"), "reason": "x"}
    assert env.client("insured1").post(f"/api/v1/policies/{pid}/endorsements", json=body).status_code == 403
    e = _request(env, pid, stock="1.00").json()
    no_reason = _act(env, "underwriter1", pid, e["id"], "decline")
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]["fields"]
    declined = _act(env, "underwriter1", pid, e["id"], "decline", "库存不在承保范围")
    assert declined.json()["status"] == "declined" and declined.json()["answer"] == "库存不在承保范围"
    assert len(env.client("broker").get(f"/api/v1/policies/{pid}/versions").json()) == 1  # nothing changed
    again = _request(env, pid, stock="2.00").json()
    assert _act(env, "broker", pid, again["id"], "withdraw").json()["status"] == "withdrawn"


def test_non_parties_get_404(env) -> None:
    pid = policy_id(env, POLICY1)
    e = _request(env, pid, stock="1.00").json()
    for user in ("insurer2", "underwriter2", "insured2", "adjuster3"):
        c = env.client(user)
        for path in ("versions", "endorsements", "status-changes"):
            assert c.get(f"/api/v1/policies/{pid}/{path}").status_code == 404, (user, path)
        assert (
            c.post(f"/api/v1/policies/{pid}/endorsements/{e['id']}/actions", json={"action": "accept"}).status_code
            == 404
        )
        body = {"action": "suspend", "effective_date": "2026-10-01", "reason_code": "other", "reason": "x"}
        assert c.post(f"/api/v1/policies/{pid}/status-changes", json=body).status_code == 404, user
    other = policy_id(env, "PCA2026441900002")
    assert env.client("broker").get(f"/api/v1/policies/{other}/endorsements/{e['id']}").status_code in (404, 405)
    wrong = env.client("underwriter1").post(
        f"/api/v1/policies/{other}/endorsements/{e['id']}/actions", json={"action": "accept"}
    )
    assert wrong.status_code == 404


def test_claims_read_the_version_in_force_at_the_loss_time(env) -> None:
    pid = policy_id(env, POLICY1)
    e = _request(env, pid, "2026-07-01", building="35000000.00").json()
    assert _act(env, "underwriter1", pid, e["id"], "accept").status_code == 200
    before = _notice(env, pid, "2026-06-30T23:30:00+08:00")
    after = _notice(env, pid, "2026-07-01T00:30:00+08:00")
    assert before.status_code == after.status_code == 201
    content = {"sections": [{"code": "building", "items": [{"ref": "1", "description": "墙体", "loss": "1000.00"}]}]}
    sums = []
    with env.session() as s:
        for r in (before, after):
            claim = s.get(Claim, uuid.UUID(r.json()["id"]))
            assert claim is not None
            doc, _ = basis.calc_input(s, claim, content, basis=("report", "GR-1"), advance_paid=Decimal(0))
            sums.append(doc["sections"][0]["sum_insured"])
        policy = s.get(Policy, uuid.UUID(pid))
        assert policy is not None
        when = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
        assert policy_versions.sections_at(s, policy, when)[0].sum_insured == Decimal("30000000.00")
    assert sums == ["30000000.00", "35000000.00"]


# ---- suspension and termination -----------------------------------------------------------------------


def test_suspension_refuses_later_losses_naming_the_date_and_reinstatement_restores_cover(env) -> None:
    pid = policy_id(env, POLICY1)
    r = _status(
        env, "underwriter1", pid, action="suspend", effective_date="2026-10-01",
        reason_code="premium_unpaid", reason="第二期保费逾期未付",
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert env.client("insured1").get(f"/api/v1/policies/{pid}").json()["status"] == "suspended"
    assert f"保单 {POLICY1}：自 2026-10-01 起效力中止" in inbox(env, "insured1")
    refused = _notice(env, pid)
    assert refused.status_code == 422
    err = refused.json()["error"]
    assert "2026-10-01" in err["message"] and "2026-10-01" in err["fields"]["loss_at"]
    assert _notice(env, pid, "2026-09-20T10:00:00+08:00").status_code == 201  # before the date: accepted
    # only the insurer suspends and reinstates
    body = {"action": "reinstate", "effective_date": "2026-11-01", "reason_code": "premium_paid", "reason": "已补缴"}
    assert _status(env, "broker", pid, **body).status_code == 403
    assert _status(env, "underwriter1", pid, **body).status_code == 201
    assert env.client("broker").get(f"/api/v1/policies/{pid}").json()["status"] == "in_force"
    assert _notice(env, pid).status_code == 201  # after the reinstatement
    gap = _notice(env, pid, "2026-10-15T10:00:00+08:00")
    assert gap.status_code == 422
    assert "2026-10-01" in gap.json()["error"]["message"] and "2026-11-01" in gap.json()["error"]["message"]
    history = env.client("insured1").get(f"/api/v1/policies/{pid}/status-changes").json()
    assert [(c["action"], c["effective_date"]) for c in history] == [
        ("suspend", "2026-10-01"),
        ("reinstate", "2026-11-01"),
    ]
    with env.session() as s:
        events = (
            s.execute(select(AuditEvent).where(AuditEvent.entity_id == pid, AuditEvent.action == "policy.suspend"))
            .scalars()
            .all()
        )
        assert len(events) == 1
        assert events[0].after["effective_date"] == "2026-10-01"  # type: ignore[index]


def test_termination_by_the_insurer_refunds_pro_rata_like_calc_premium(env, tmp_path) -> None:
    pid = policy_id(env, POLICY1)
    body = {
        "action": "terminate", "effective_date": "2026-11-20", "reason_code": "risk_increased",
        "reason": "危险程度显著增加", "ended_by": "insurer", "premium_paid": "12000.00",
    }  # fmt: skip
    assert _status(env, "underwriter1", pid, **{**body, "ended_by": "insured"}).status_code == 403
    r = _status(env, "underwriter1", pid, **body)
    assert r.status_code == 201, r.text
    c = r.json()
    # 12000.00 × 323 / 365 = 10619.18 retained; 1380.82 refunded.
    assert (c["premium_paid"], c["refund"]) == ("12000.00", "1380.82")
    assert _calc(tmp_path, c["pricing"]["input"]) == c["pricing"]["output"]
    assert c["pricing"]["output"]["termination"]["method"] == "pro_rata_daily"
    refused = _notice(env, pid)  # 24 November, after the termination
    assert refused.status_code == 422 and "2026-11-20" in refused.json()["error"]["fields"]["loss_at"]
    assert _notice(env, pid, "2026-11-19T23:00:00+08:00").status_code == 201
    again = _status(env, "underwriter1", pid, **body)
    assert again.status_code == 409


def test_termination_for_the_insured_uses_the_short_period_table_on_the_rated_version(env, tmp_path) -> None:
    pid = policy_id(env, POLICY1)
    body = {
        "action": "terminate",
        "effective_date": "2026-05-10",
        "reason_code": "insured_request",
        "reason": "投保人要求解除",
        "ended_by": "insured",
    }
    missing = _status(env, "broker", pid, **body)  # a demo policy not bound here: no premium written, no rates
    assert missing.status_code == 422 and "premium_paid" in missing.json()["error"]["fields"]
    e = _request(env, pid, "2026-03-01", building="35000000.00").json()
    assert _act(env, "underwriter1", pid, e["id"], "accept").status_code == 200
    written = Decimal(e["pricing"]["old"]["output"]["total_premium"]) + Decimal(e["premium_delta"])
    r = _status(env, "broker", pid, **body)  # now rated: the premium written is the versions' sum
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["premium_paid"] == f"{written:.2f}"
    out = _calc(tmp_path, c["pricing"]["input"])
    assert out == c["pricing"]["output"]
    assert out["termination"]["method"] == "short_period_table" and out["termination"]["elapsed_months"] == 5
    assert c["pricing"]["input"]["sections"][0]["sum_insured"] == "35000000.00"
    assert c["refund"] == out["termination"]["refund"]
    assert env.client("insured1").get(f"/api/v1/policies/{pid}").json()["status"] == "terminated"


def test_a_short_term_policy_asks_for_the_premium_paid_not_its_annual_premium(env, tmp_path) -> None:
    """The premium on record is annual: over a term shorter than a year it is not what was charged."""
    pid = policy_id(env, POLICY1)
    with env.factory.begin() as s:
        policy = s.get(Policy, uuid.UUID(pid))
        policy.premium, policy.period_end = Decimal("10000.00"), policy.period_start + dt.timedelta(days=180)
        start = policy.period_start
    body = {
        "action": "terminate", "effective_date": (start + dt.timedelta(days=90)).isoformat(),
        "reason_code": "risk_increased", "reason": "危险程度显著增加", "ended_by": "insurer",
    }  # fmt: skip
    missing = _status(env, "underwriter1", pid, **body)
    assert missing.status_code == 422 and "premium_paid" in missing.json()["error"]["fields"]
    r = _status(env, "underwriter1", pid, **body, premium_paid="6000.00")
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["premium_paid"] == "6000.00" and _calc(tmp_path, c["pricing"]["input"]) == c["pricing"]["output"]
    # 6000.00 × 90 / 181 = 2983.43 retained; 3016.57 refunded (the annual 10000.00 would refund 5027.62).
    assert c["refund"] == "3016.57"


# ---- demo -----------------------------------------------------------------------------------------------


def test_demo_shows_an_accepted_change_and_a_terminated_policy(env) -> None:
    now = env.clock.now()
    with env.factory.begin() as s:
        demo_placements.load(s, env.settings, now)
        demo_inforce.load(s, env.settings, now)
    items = env.client("broker").get("/api/v1/policies?limit=200").json()["items"]
    bound = next(p for p in items if p["placement_id"] and p["status"] == "in_force")
    versions = env.client("insured1").get(f"/api/v1/policies/{bound['id']}/versions").json()
    assert [v["number"] for v in versions] == [1, 2] and Decimal(versions[1]["premium_delta"]) > 0
    ended = next(p for p in items if p["number"] == demo_inforce.SUSPENDED_POLICY)
    assert ended["status"] == "terminated"
    changes = env.client("insured2").get(f"/api/v1/policies/{ended['id']}/status-changes").json()
    assert tuple(c["action"] for c in changes) == demo_inforce.STATUS_CHANGES
    assert Decimal(changes[-1]["refund"]) > 0
    page = text_of(logged_in(env, "insured2").get(f"/policies/{ended['id']}"))
    assert "效力中止" in page and "保险人解除" in page
    # The broker's recovery for insured2 at round 2, awaiting the insurer's answer.
    (rec,) = env.client("insured2").get(f"/api/v1/policies/{ended['id']}/recoveries").json()
    assert tuple(s["action"] for s in rec["steps"]) == demo_inforce.RECOVERY_STEPS
    assert (rec["status"], rec["round"]) == ("demanded", 2)
    assert Decimal(rec["amount"]) == Decimal(changes[-1]["refund"]) + demo_inforce.REPLACEMENT + Decimal("9250.00")
    shown = text_of(logged_in(env, "broker").get(f"/policies/{ended['id']}/recovery"))
    assert "待保险人答复" in shown and "保险人还价" not in shown and "效力中止期间未获保障的损失" in shown
    # The placement's policy its insurer ended: the firm's signed termination report, the recovery paid from it.
    [assessed] = [p for p in items if p["placement_id"] and p["status"] == "terminated"]
    report = env.client("insured1").get(f"/api/v1/policies/{assessed['id']}/termination-assessment").json()
    assert report["status"] == "reported" and [h["head"] for h in report["content"]["heads"]] == [
        "refund_due",
        *demo_inforce.ASSESSED_HEADS,
    ]
    (paid,) = env.client("insured1").get(f"/api/v1/policies/{assessed['id']}/recoveries").json()
    assert tuple(s["action"] for s in paid["steps"]) == demo_inforce.ASSESSED_RECOVERY_STEPS
    assert paid["report_id"] and (paid["status"], paid["paid"]) == ("paid", report["content"]["assessed_loss"])
    shown = text_of(logged_in(env, "adjuster3").get(f"/policies/{assessed['id']}/termination-assessment"))
    assert "保险合同效力中止或终止评估报告" in shown and demo_inforce.ASSESSMENT["cause"] in shown
    # Its accepted letter of instruction with the fee terms, and the firm's invoice on them (6,000 + VAT 6 %).
    assert (report["letter"]["state"], report["letter"]["fee_terms"]["amount"]) == ("accepted", "6000.00")
    assert "委托函" in shown and "6,000.00" in shown
    [invoice] = env.client("adjuster3").get(f"/api/v1/cases/{report['case_id']}/invoices").json()
    assert (invoice["payer_kind"], invoice["total"]) == ("insured", "6360.00")
