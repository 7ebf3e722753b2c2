"""Issue 22 corrections through the API: survey facts, the adjuster's replacement value in the amount,
aggregate limits that shrink, guard rails on offers, signatures in person, the umpire, the insured's say."""

from __future__ import annotations

from tests.helpers import (
    POLICY3,
    _draft,
    _ok,
    _paid,
    accepted_with_team,
    co_sign,
    consultation_opened,
    notice,
    one_section,
    policy_body,
    reported,
    routed_by_broker,
    to_umpire,
)

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
    _ok(firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"], me["李娜"]]}), 201)
    assert co_sign(env.client("adjuster2"), cid)["reports"]


# ---- items 2 and 3: the figures the amount is confirmed from -------------------------------------


def test_the_reports_replacement_value_is_the_insured_value_and_the_steps_say_where_figures_came_from(env):
    """Machinery valued at ¥25M by the adjuster against ¥20M insured: average 0.8 applies."""
    cid = notice(env)
    case = reported(env, cid, one_section("machinery", "2500000.00", "25000000.00"))
    number = case["reports"][0]["number"]
    case = _ok(env.client("risk").post(f"/api/v1/claims/{cid}/amount-confirmation"))
    conf = case["confirmation"]
    machinery = next(s for s in conf["result"]["sections"] if s["code"] == "machinery")
    assert machinery["average_ratio"] == "0.800000"
    # 2,500,000 × 20M / 25M = 2,000,000; deductible max(5,000, 5 %) = 100,000
    assert machinery["payable"] == "1900000.00", machinery
    sec = next(s for s in conf["input"]["sections"] if s["code"] == "machinery")
    assert sec["insured_value"] == "25000000.00"
    src = conf["sources"]["machinery"]
    assert src["insured_value"] == {"kind": "report", "number": number}
    assert src["items"] == {"kind": "report", "number": number}
    assert src["sum_insured"]["kind"] == "policy" and src["paid_to_date"] == []


def test_report_without_a_replacement_value_keeps_the_policys_declared_value(env):
    cid = notice(env)
    reported(env, cid, one_section("machinery", "2500000.00"))
    conf = _ok(env.client("risk").post(f"/api/v1/claims/{cid}/amount-confirmation"))["confirmation"]
    machinery = next(s for s in conf["result"]["sections"] if s["code"] == "machinery")
    assert machinery["average_ratio"] == "1.000000" and machinery["payable"] == "2375000.00"
    assert conf["sources"]["machinery"]["insured_value"]["kind"] == "policy"


def test_what_earlier_claims_paid_reduces_the_aggregate_and_the_sum_insured(env):
    """Two ¥400,000 losses on a ¥500,000 aggregate: the second gets what is left, not ¥399,000 again."""
    kw = {"location": "浙江省杭州市上城区清泰街56号", "description": "厨房起火"}
    first = notice(env, "insured3", POLICY3, **kw)
    routed_by_broker(env, first)
    reported(env, first, one_section("contents", "400000.00"))
    assert _paid(env, first) == "399000.00"
    first_no = _ok(env.client("broker").get(f"/api/v1/claims/{first}/case"))["claim"]["number"]

    env.clock.advance(hours=2)
    second = notice(env, "insured3", POLICY3, **{**kw, "description": "客厅水管爆裂浸泡家具"})
    routed_by_broker(env, second)
    reported(env, second, one_section("contents", "400000.00"))
    conf = _ok(env.client("risk").post(f"/api/v1/claims/{second}/amount-confirmation"))["confirmation"]
    sec = conf["input"]["sections"][0]
    assert sec["paid_to_date"] == "399000.00"
    assert sec["options"] == {"basis": "first_loss", "sum_insured_reduces": True}
    contents = conf["result"]["sections"][0]
    # Sum insured not reinstated: 500,000 − 399,000 = 101,000 caps it (the aggregate left is the same).
    assert contents["payable"] == "101000.00" and contents["limited_by"] == "sum_insured", contents
    assert conf["sources"]["contents"]["paid_to_date"] == [{"claim": first_no, "amount": "399000.00"}]


def test_policy_sections_carry_the_engines_options(env):
    body = policy_body(env)
    body["sections"][0]["options"] = {"basis": "first_loss", "sum_insured_reduces": True, "deductible_kind": "absolute"}
    r = env.client("broker").post("/api/v1/policies", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["sections"][0]["options"] == {
        "basis": "first_loss",
        "sum_insured_reduces": True,
        "deductible_kind": "absolute",
    }
    assert r.json()["sections"][1]["options"] == {}
    for options, path in (
        ({"basis": "lloyds"}, "sections[0].options.basis"),
        ({"liability_ratio": "0"}, "sections[0].options.liability_ratio"),
        ({"deductible_kind": "franchise", "deductible_rate_base": "loss"}, "sections[0].options.deductible_rate_base"),
        ({"reinstated": True}, "sections[0].options.reinstated"),
    ):
        body = policy_body(env, number="PQC2027330400010")
        body["sections"][0]["options"] = options
        r = env.client("broker").post("/api/v1/policies", json=body)
        assert r.status_code == 422 and path in r.json()["error"]["fields"], (options, r.text)
    body = policy_body(env, number="PQC2027330400011")
    body["sections"][1] = {"code": "stock", "name": "存货", "options": {"basis": "first_loss"}}
    r = env.client("broker").post("/api/v1/policies", json=body)
    assert r.status_code == 422 and "sections[1].options.basis" in r.json()["error"]["fields"], r.text


# ---- item 4: guard rails -------------------------------------------------------------------------


def confirmed(env) -> str:
    """A claim on POLICY1 with its amount confirmed: machinery 2,500,000 → due 2,375,000.00."""
    cid = notice(env)
    reported(env, cid, one_section("machinery", "2500000.00"))
    _ok(env.client("risk").post(f"/api/v1/claims/{cid}/amount-confirmation"))
    return cid


def test_zero_or_implausible_offers_need_an_explicit_confirmation(env):
    cid = confirmed(env)
    broker, insurer = env.client("broker"), env.client("insurer1")
    url = f"/api/v1/claims/{cid}/negotiation"
    for amount, words in (("0", "zero"), ("0.00", "zero"), ("23750000.01", "ten times")):
        r = broker.post(url, json={"move": "propose", "amount": amount})
        assert r.status_code == 422, (amount, r.text)
        err = r.json()["error"]
        assert err["code"] == "claim.offer_needs_confirmation" and words in err["fields"]["amount"], err
    assert _ok(broker.get(f"/api/v1/claims/{cid}/case"))["negotiation"] == []
    case = _ok(broker.post(url, json={"move": "propose", "amount": "0", "confirm": True}))
    assert case["claim"]["status"] == "negotiating"
    r = insurer.post(url, json={"move": "counter", "amount": "60000000.00", "reason": "笔误"})
    assert r.status_code == 422 and "sum insured" in r.json()["error"]["fields"]["amount"], r.text
    _ok(insurer.post(url, json={"move": "counter", "amount": "2000000.00", "reason": "折旧偏低"}))


def test_a_proposal_can_be_withdrawn_by_its_maker_until_answered(env):
    cid = confirmed(env)
    broker, insurer = env.client("broker"), env.client("insurer1")
    url = f"/api/v1/claims/{cid}/negotiation"
    _ok(broker.post(url, json={"move": "propose", "amount": "2375000.00"}))
    assert insurer.post(url, json={"move": "withdraw"}).status_code == 409  # not the insurer's offer
    case = _ok(broker.post(url, json={"move": "withdraw", "reason": "金额有误"}))
    assert case["claim"]["status"] == "amount_confirmed"
    assert [(s["move"], s["withdrawn"]) for s in case["negotiation"]] == [("propose", True), ("withdraw", False)]
    assert "claim.withdraw_proposal" in [e["action"] for e in case["timeline"]]
    assert insurer.post(url, json={"move": "accept"}).status_code == 409  # nothing stands to be accepted

    env.clock.advance(minutes=5)
    _ok(broker.post(url, json={"move": "propose", "amount": "2300000.00"}))
    env.clock.advance(minutes=5)
    _ok(insurer.post(url, json={"move": "counter", "amount": "2000000.00", "reason": "折旧偏低"}))
    assert broker.post(url, json={"move": "withdraw"}).status_code == 409  # the counter is not the broker's
    env.clock.advance(minutes=5)
    case = _ok(insurer.post(url, json={"move": "withdraw"}))
    assert case["claim"]["status"] == "negotiating"
    assert "claim.withdraw_offer" in [e["action"] for e in case["timeline"]]
    # The broker's proposal stands again; the insurer accepts it, and then nothing can be withdrawn.
    case = _ok(insurer.post(url, json={"move": "accept"}))
    assert case["claim"]["status"] == "agreed"
    assert next(e for e in case["timeline"] if e["action"] == "claim.accept")["after"]["agreed"] == "2300000.00"
    assert broker.post(url, json={"move": "withdraw"}).status_code == 409


def test_the_amount_is_previewed_before_it_is_confirmed(env):
    cid = notice(env)
    reported(env, cid, one_section("machinery", "2500000.00", "25000000.00"))
    risk = env.client("risk")
    preview = _ok(risk.get(f"/api/v1/claims/{cid}/amount-confirmation/preview"))
    assert preview["result"]["total_payable"] == "1900000.00" and preview["basis_kind"] == "report"
    assert preview["sources"]["machinery"]["insured_value"]["kind"] == "report"
    case = _ok(risk.get(f"/api/v1/claims/{cid}/case"))
    assert case["confirmation"] is None and case["claim"]["status"] == "reported"  # nothing written
    assert env.client("insurer1").get(f"/api/v1/claims/{cid}/amount-confirmation/preview").status_code == 403
    assert env.client("insured2").get(f"/api/v1/claims/{cid}/amount-confirmation/preview").status_code == 404


# ---- item 6: each signer signs in person -----------------------------------------------------------


def test_each_signer_signs_the_reports_content_hash_in_person_from_their_own_login(env):
    from sqlalchemy import select

    from tandem.access.models import User
    from tandem.notification.models import Notification

    cid = notice(env)
    me = accepted_with_team(env, cid)
    firm, second = env.client("adjuster1"), env.client("adjuster2")
    now = env.clock.now().isoformat()
    _ok(firm.post(f"/api/v1/claims/{cid}/surveys", json={"scheduled_at": now, "surveyed_at": now}))
    _ok(firm.put(f"/api/v1/claims/{cid}/report-draft", json=_draft()))
    r = firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"], me["周敏"]]})
    assert r.status_code == 422 and "周敏" in r.json()["error"]["fields"]["signer_ids"], r.text  # named, in words
    case = _ok(firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"], me["李娜"]]}), 201)
    # One signature is not a report: the claim waits for 李娜, who is told.
    assert case["claim"]["status"] == "surveying" and case["reports"] == []
    signing = case["signing"]
    assert [(s["name"], s["signed"]) for s in signing["signers"]] == [("王建国", True), ("李娜", False)]
    with env.session() as s:
        lina = s.execute(select(User).where(User.username == "adjuster2")).scalar_one()
        notes = s.execute(select(Notification).where(Notification.user_id == lina.id)).scalars().all()
    assert any(n.link == f"/claims/{cid}" and "签署" in n.subject for n in notes), [n.subject for n in notes]
    sign = f"/api/v1/claims/{cid}/reports/sign"
    assert firm.post(sign, json={"content_hash": signing["content_hash"]}).status_code == 409  # signed already
    r = second.post(sign, json={"content_hash": "0" * 64})
    assert r.status_code == 422 and "content_hash" in r.json()["error"]["fields"]
    assert env.client("adjuster5").post(sign, json={"content_hash": signing["content_hash"]}).status_code == 403
    case = _ok(second.post(sign, json={"content_hash": signing["content_hash"]}))
    assert case["claim"]["status"] == "reported" and case["signing"] is None
    (report,) = case["reports"]
    assert report["content_hash"] == signing["content_hash"]
    assert sorted(report["signatures"]) == sorted([me["王建国"], me["李娜"]])
    assert "report.signed" in [e["action"] for e in case["timeline"]]


def test_ineligible_practitioners_are_not_put_on_a_team_and_are_named_in_words(env):
    cid = notice(env)
    me = accepted_with_team(env, cid)
    r = env.client("adjuster1").post(f"/api/v1/claims/{cid}/team", json={"adjuster_id": me["钱永刚"]})
    assert r.status_code == 422, r.text
    assert "钱永刚: registration lapsed" in r.json()["error"]["fields"]["adjuster_id"]


def test_every_practitioner_has_a_login(env):
    from sqlalchemy import select

    from tandem.party.models import Adjuster

    with env.session() as s:
        assert all(a.user_id is not None for a in s.execute(select(Adjuster)).unique().scalars())
    assert env.client("adjuster11").get("/api/v1/adjusters").status_code == 200  # 陈亮, firm B's second


# ---- item 5: a neutral, bounded umpire -------------------------------------------------------------


def test_ending_a_round_through_the_api_needs_confirm_true(env):
    broker = env.client("broker")
    cid = consultation_opened(env)
    _ok(env.client("adjuster1").post(f"/api/v1/claims/{cid}/consultation/start"))
    url = f"/api/v1/claims/{cid}/consultation/end-round"
    for body in (None, {"confirm": False}):
        r = broker.post(url, json=body)
        assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["confirm"], r.text
    assert _ok(broker.get(f"/api/v1/claims/{cid}/consultation"))["round"] == 1  # still the first round
    assert _ok(broker.post(url, json={"confirm": True}))["round"] == 2


def test_umpire_candidates_are_neutral_or_named_with_their_affiliation_and_conflicts_are_screened(env):
    from sqlalchemy import update

    from tandem.party.models import Expert

    cid, _ = to_umpire(env)
    firm_a = env.client("adjuster1")
    found = _ok(firm_a.get(f"/api/v1/claims/{cid}/consultation/umpire-candidates"))["items"]
    by_name = {c["name"]: c for c in found}
    assert "曹立新" not in by_name and "潘志远" not in by_name  # the two sides' own experts
    assert "罗振华" not in by_name and "钱永刚" not in by_name  # not eligible
    assert by_name["林志伟"]["neutral"] is True and by_name["林志伟"]["affiliation"] == "粤安保险公估有限公司"
    assert by_name["邓建华"]["neutral"] is False and "恒信保险经纪有限公司" in by_name["邓建华"]["affiliation"]
    assert found[0]["neutral"] is True  # outsiders first
    # A declared conflict with a party of the case is refused, in words.
    with env.engine.begin() as conn:
        conn.execute(update(Expert).where(Expert.name == "邓建华").values(extra={"conflicts": ["嘉兴鑫达"]}))
    r = firm_a.post(
        f"/api/v1/claims/{cid}/consultation/umpire", json={"kind": "expert", "umpire_id": by_name["邓建华"]["id"]}
    )
    assert r.status_code == 409 and "嘉兴鑫达" in r.json()["error"]["fields"]["umpire_id"], r.text
    view = _ok(
        firm_a.post(
            f"/api/v1/claims/{cid}/consultation/umpire", json={"kind": "adjuster", "umpire_id": by_name["林志伟"]["id"]}
        )
    )
    assert view["umpire"]["affiliation"] == "粤安保险公估有限公司" and view["umpire"]["neutral"] is True


def test_an_award_outside_the_two_positions_needs_both_sides_explicit_acceptance(env):
    cid, roof = to_umpire(env)
    firm_a, firm_b, risk = env.client("adjuster1"), env.client("adjuster3"), env.client("risk")
    found = _ok(firm_a.get(f"/api/v1/claims/{cid}/consultation/umpire-candidates"))["items"]
    lin = next(c for c in found if c["name"] == "林志伟")
    _ok(firm_a.post(f"/api/v1/claims/{cid}/consultation/umpire", json={"kind": "adjuster", "umpire_id": lin["id"]}))
    _ok(firm_b.post(f"/api/v1/claims/{cid}/consultation/umpire/accept"))
    url = f"/api/v1/claims/{cid}/consultation/items/{roof}/umpire-decision"
    r = risk.post(url, json={"amount": "380000.00", "reason": "重新询价"})
    assert r.status_code == 409 and "324000.00" in r.json()["error"]["fields"]["amount"], r.text
    accept = f"/api/v1/claims/{cid}/consultation/items/{roof}/award-acceptance"
    _ok(firm_a.post(accept, json={"amount": "380000.00"}))
    assert risk.post(url, json={"amount": "380000.00", "reason": "重新询价"}).status_code == 409  # one side only
    _ok(firm_b.post(accept, json={"amount": "380000.00"}))
    view = _ok(risk.post(url, json={"amount": "380000.00", "reason": "重新询价"}))
    assert view["state"] == "agreed"


def test_the_mou_names_the_umpire_as_adjuster_or_expert_not_arbitrator():
    from tandem.reconciliation.documents import LABELS

    assert LABELS["zh_CN"]["umpire"] == "公估人/专家" and "仲裁" not in " ".join(LABELS["zh_CN"].values())
