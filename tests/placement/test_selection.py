"""Choosing and instructing the placement's adjuster (issue 14 items 2 and 3, R-U1 and R-U2): the broker
explains the pre-assessment, recommendations ranked and explained like claims routing, the insured's
acknowledgement and choice (its own adjuster checked and refused with the reasons), the confirmation letter
and the firm's answer — each step with its clock, its audit event, and 404 for everybody else."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text, update

from tandem.audit.service import verify
from tandem.party.models import Adjuster, AdjusterFirm, FilingStatus
from tests.helpers import _ok, open_placement

BASE = "/api/v1/placements"


def _adjuster_id(env, name: str) -> str:
    with env.session() as s:
        return str(s.execute(select(Adjuster.id).where(Adjuster.name == name)).scalar_one())


def _explained(env) -> str:
    pid = open_placement(env)["id"]
    _ok(env.client("broker").post(f"{BASE}/{pid}/explanation", json={"note": "已向客户说明预评估结论决定投保方案"}))
    return pid


def _choose(env, pid: str, name: str, user: str = "insured1"):
    body = {"adjuster_id": _adjuster_id(env, name), "acknowledged": True}
    return env.client(user).post(f"{BASE}/{pid}/choice", json=body)


def _clock(sel: dict, kind: str) -> dict:
    return next(c for c in sel["clocks"] if c["kind"] == kind)


def _actions(env, pid: str) -> list[str]:
    with env.session() as s:
        return [
            a
            for (a,) in s.execute(
                text("SELECT action FROM audit_event WHERE chain_key = :k ORDER BY seq"), {"k": f"case:{pid}"}
            )
        ]


def test_explain_recommend_choose_issue_and_accept(env):
    pid = open_placement(env)["id"]
    insured, broker, firm = env.client("insured1"), env.client("broker"), env.client("adjuster3")
    assert _ok(insured.get(f"{BASE}/{pid}/selection"))["actions"] == []  # the broker explains first
    assert _ok(broker.get(f"{BASE}/{pid}/selection"))["actions"] == ["explain"]
    assert insured.post(f"{BASE}/{pid}/explanation", json={}).status_code == 403

    # R-U1: the explanation; the insured holds the ball for 5 working days.
    sel = _ok(broker.post(f"{BASE}/{pid}/explanation", json={"note": "预评估结论决定投保方案"}))
    assert sel["status"] == "awaiting_choice" and sel["explained_at"] is not None
    choice_clock = _clock(sel, "insured_choice")
    assert choice_clock["holder"] == "insured" and choice_clock["stopped_at"] is None
    assert broker.post(f"{BASE}/{pid}/explanation", json={}).status_code == 409

    # Recommendations: risk evaluation as the line skill, ranked and explained; the excluded with reasons.
    recs = _ok(broker.get(f"{BASE}/{pid}/recommendations"))
    ranked = [r["adjuster"]["name"] for r in recs["recommended"]]
    assert set(ranked) == {"周敏", "吴斌", "张伟"}
    assert ranked[0] in ("张伟", "吴斌")  # based in 浙江 ranks above a nationwide firm's 上海 adjuster
    assert all("line:风险评估:50" in r["reasons"] for r in recs["recommended"])
    excluded = {e["adjuster"]["name"]: e["reasons"] for e in recs["excluded"]}
    assert excluded["王建国"] == ["not_qualified_for_line"] and "certificate_lapsed" in excluded["钱永刚"]
    assert "blacklisted" in excluded["何雪梅"] and "outside_area" in excluded["林志伟"]
    assert _ok(insured.get(f"{BASE}/{pid}/recommendations")) == recs  # the insured chooses with the broker

    # The insured acknowledges and picks a recommended adjuster; the broker holds the ball.
    r = insured.post(f"{BASE}/{pid}/choice", json={"adjuster_id": _adjuster_id(env, "张伟"), "acknowledged": False})
    assert r.status_code == 422 and "acknowledged" in r.json()["error"]["fields"]
    assert _choose(env, pid, "张伟", user="broker").status_code == 403
    sel = _ok(_choose(env, pid, "张伟"))
    assert (sel["status"], sel["choice"], sel["chosen"]["name"]) == ("chosen", "recommended", "张伟")
    assert sel["acknowledged_at"] is not None and _clock(sel, "insured_choice")["stopped_at"] is not None
    after = _ok(insured.get(f"{BASE}/{pid}/recommendations"))
    assert after["excluded"] == [] and [r["adjuster"]["name"] for r in after["recommended"]] == ["张伟"]
    assert firm.get(f"{BASE}/{pid}/selection").status_code == 404  # not instructed yet

    # R-U2: the letter to the chosen firm, which now takes part and has 2 working days to answer.
    sel = _ok(broker.post(f"{BASE}/{pid}/letter"), 201)
    assert sel["status"] == "letter_issued" and sel["letter"]["state"] == "issued"
    answer = _clock(sel, "letter_answer")
    assert answer["holder"] == "adjuster_firm"
    issued = dt.datetime.fromisoformat(answer["due_at"]) - env.clock.now()
    assert dt.timedelta(days=2) <= issued <= dt.timedelta(days=5)  # two working days, to 23:59 Shanghai
    assert _ok(firm.get(f"{BASE}/{pid}/selection"))["actions"] == ["accept", "decline"]
    pdf = firm.get(f"{BASE}/{pid}/letter.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert firm.get(f"{BASE}/{pid}/letter.pdf?lang=en").content.startswith(b"%PDF")

    # The firm accepts with its fee terms, the payment deadline and the report's due date.
    terms = {"terms": {"basis": "fixed", "amount": "80000.00", "payer": "insured", "payment_days": 30}}
    r = firm.post(f"{BASE}/{pid}/letter/accept", json={**terms, "report_due": "2026-01-05"})
    assert r.status_code == 422 and "report_due" in r.json()["error"]["fields"]
    r = firm.post(f"{BASE}/{pid}/letter/accept", json={"report_due": "2027-01-15"})
    assert r.status_code == 422 and "terms" in r.json()["error"]["fields"]
    insurer_pays = {"terms": {**terms["terms"], "payer": "insurer"}, "report_due": "2027-01-15"}
    r = firm.post(f"{BASE}/{pid}/letter/accept", json=insurer_pays)
    assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["terms.payer"]
    assert (
        env.client("adjuster1")
        .post(f"{BASE}/{pid}/letter/accept", json={**terms, "report_due": "2027-01-15"})
        .status_code
        == 404
    )
    sel = _ok(firm.post(f"{BASE}/{pid}/letter/accept", json={**terms, "report_due": "2027-01-15"}))
    assert sel["status"] == "surveying" and sel["letter"]["state"] == "accepted"
    assert sel["letter"]["fee_terms"]["amount"] == "80000.00" and sel["letter"]["fee_payment_days"] == 30
    report = _clock(sel, "pre_assessment_report")
    assert report["holder"] == "adjuster_firm" and report["due_at"].startswith("2027-01-15T15:59:59")
    assert _clock(sel, "letter_answer")["stopped_at"] is not None
    assert _ok(broker.get(f"{BASE}/{pid}/selection"))["letter"]["fee_terms"]["payer"] == "insured"
    seen = _ok(insured.get(f"{BASE}/{pid}/selection"))["letter"]
    assert seen["state"] == "accepted" and seen["fee_terms"] is None  # the fee terms: their readers only
    assert _ok(broker.get(f"{BASE}/{pid}"))["adjuster_firm_id"] == sel["chosen"]["firm_id"]

    for action in ("placement.explain", "placement.choose", "placement.issue_letter", "placement.accept"):
        assert action in _actions(env, pid)
    with env.session() as s:
        assert verify(s) == []


def test_a_declining_firm_leaves_and_the_insured_chooses_again(env):
    pid = _explained(env)
    _ok(_choose(env, pid, "张伟"))
    _ok(env.client("broker").post(f"{BASE}/{pid}/letter"), 201)
    firm = env.client("adjuster3")
    r = firm.post(f"{BASE}/{pid}/letter/decline", json={"reason": ""})
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    assert firm.post(f"{BASE}/{pid}/letter/decline", json={"reason": "该时段人手不足"}).status_code == 204
    assert firm.get(f"{BASE}/{pid}/selection").status_code == 404  # it no longer takes part

    sel = _ok(env.client("insured1").get(f"{BASE}/{pid}/selection"))
    assert (sel["status"], sel["chosen"], sel["choice"]) == ("awaiting_choice", None, None)
    assert sel["letter"]["state"] == "declined" and sel["letter"]["decline_reason"] == "该时段人手不足"
    assert _clock(sel, "insured_choice")["stopped_at"] is None and _clock(sel, "letter_answer")["stopped_at"]
    assert sel["actions"] == ["choose"]
    sel = _ok(_choose(env, pid, "周敏"))
    assert sel["chosen"]["firm"] == "华信保险公估有限公司"
    sel = _ok(env.client("broker").post(f"{BASE}/{pid}/letter"), 201)
    assert sel["letter"]["state"] == "issued" and sel["letter"]["adjuster_id"] == _adjuster_id(env, "周敏")
    assert "placement.decline" in _actions(env, pid)


def test_the_insureds_own_adjuster_is_refused_with_the_reasons(env):
    pid = _explained(env)
    with env.session() as s:  # 粤安's filing is suspended
        s.execute(
            update(AdjusterFirm)
            .where(AdjusterFirm.filing_no == "公估备-440023")
            .values(filing_status=FilingStatus.SUSPENDED)
        )
        s.commit()
    insured = env.client("insured1")
    for name, code in (("钱永刚", "certificate_lapsed"), ("何雪梅", "blacklisted"), ("林志伟", "firm_not_filed")):
        check = _ok(insured.get(f"{BASE}/{pid}/adjuster-check", params={"adjuster_id": _adjuster_id(env, name)}))
        assert check["accepted"] is False and code in check["refusals"], name
        r = _choose(env, pid, name)
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["code"] == "placement.adjuster_refused" and code in err["fields"]["adjuster_id"], name
    check = _ok(insured.get(f"{BASE}/{pid}/adjuster-check", params={"adjuster_id": _adjuster_id(env, "林志伟")}))
    assert check["notes"] == ["outside_area"] and "outside_area" not in check["refusals"]  # shown, not held against it
    assert _ok(insured.get(f"{BASE}/{pid}/selection"))["status"] == "awaiting_choice"  # nothing changed

    # Its own adjuster who does not list risk evaluation is the insured's call: accepted as its own.
    check = _ok(insured.get(f"{BASE}/{pid}/adjuster-check", params={"adjuster_id": _adjuster_id(env, "王建国")}))
    assert (check["accepted"], check["refusals"], check["notes"]) == (True, [], ["not_qualified_for_line"])
    sel = _ok(_choose(env, pid, "王建国"))
    assert (sel["status"], sel["choice"]) == ("chosen", "own")
    assert "placement.choose" in _actions(env, pid)


def test_a_lapse_since_the_choice_stops_the_letter(env):
    pid = _explained(env)
    _ok(_choose(env, pid, "周敏"))
    r = env.client("regulator").post(
        f"/api/v1/adjusters/{_adjuster_id(env, '周敏')}/checks",
        json={"source": "regulator_register", "result": "failed", "checked_on": "2026-11-25"},
    )
    assert r.status_code == 201, r.text
    r = env.client("broker").post(f"{BASE}/{pid}/letter")
    assert r.status_code == 422 and "certificate_lapsed" in r.json()["error"]["fields"]["adjuster_id"]


def test_another_insured_gets_404_everywhere(env):
    pid = _explained(env)
    other = env.client("insured2")
    adj = _adjuster_id(env, "张伟")
    for r in (
        other.get(f"{BASE}/{pid}/selection"),
        other.get(f"{BASE}/{pid}/recommendations"),
        other.get(f"{BASE}/{pid}/adjuster-check", params={"adjuster_id": adj}),
        other.post(f"{BASE}/{pid}/choice", json={"adjuster_id": adj, "acknowledged": True}),
        other.post(f"{BASE}/{pid}/letter"),
        other.get(f"{BASE}/{pid}/letter.pdf"),
        env.client("insurer1").get(f"{BASE}/{pid}/recommendations"),
    ):
        assert r.status_code == 404, r.text
    assert r.json() == other.get(f"{BASE}/00000000-0000-0000-0000-000000000000/selection").json()
