"""Issue 22 corrections on the pages: each party through its own login, errors beside the field."""

from __future__ import annotations

from tests.helpers import (
    POLICY3,
    _draft,
    _ok,
    _paid,
    accepted_with_team,
    logged_in,
    notice,
    one_section,
    post,
    reported,
    routed_by_broker,
    text_of,
    to_umpire,
)


def test_survey_form_refuses_a_time_before_the_notice_or_in_the_future_beside_the_field(env):
    cid = notice(env)
    me = accepted_with_team(env, cid)
    firm = logged_in(env, "adjuster1")
    case = f"/claims/{cid}"
    r = post(firm, f"{case}/surveys", {"scheduled_at": "2026-11-25T14:00", "surveyed_at": "2026-11-25T15:00"})
    assert r.status_code == 422
    assert 'id="survey-surveyed_at-error"' in r.text and "查勘时间不能晚于当前时间" in text_of(r)
    r = post(firm, f"{case}/surveys", {"scheduled_at": "2026-11-25T14:00", "surveyed_at": "2026-11-24T23:00"})
    assert r.status_code == 422 and "查勘时间不能早于报案时间" in text_of(r)
    # Scheduled only: the report cannot be signed and submitted yet, and the page says why.
    assert post(firm, f"{case}/surveys", {"scheduled_at": "2026-11-25T14:00"}).status_code == 303
    _ok(env.client("adjuster1").put(f"/api/v1/claims/{cid}/report-draft", json=_draft()))
    r = post(firm, f"{case}/reports", {"signers": [me["王建国"], me["李娜"]]})
    assert r.status_code == 409 and "请先记录现场查勘已完成" in text_of(r)


def test_the_step_table_says_where_each_figure_came_from_and_the_report_shows_replacement_values(env):
    cid = notice(env)
    number = reported(env, cid, one_section("machinery", "2500000.00", "25000000.00"))["reports"][0]["number"]
    risk = logged_in(env, "risk")
    assert post(risk, f"/claims/{cid}/amount", {"confirm": "1"}).status_code == 303
    t = text_of(risk.get(f"/claims/{cid}"))
    assert "重置价值 ¥25,000,000.00" in t, t
    assert f"保险价值：公估报告 {number}" in t and "保险金额：保单 PQC2026330400001 分项约定" in t
    assert f"损失项目：公估报告 {number}" in t and "20,000,000.00 ÷ 25,000,000.00" in t
    # What the policy's other claims paid is named with the claim it was paid on.
    kw = {"location": "浙江省杭州市上城区清泰街56号", "description": "厨房起火"}
    first = notice(env, "insured3", POLICY3, **kw)
    routed_by_broker(env, first)
    reported(env, first, one_section("contents", "400000.00"))
    _paid(env, first)
    first_no = _ok(env.client("broker").get(f"/api/v1/claims/{first}/case"))["claim"]["number"]
    env.clock.advance(hours=2)
    second = notice(env, "insured3", POLICY3, **{**kw, "description": "客厅水管爆裂"})
    routed_by_broker(env, second)
    reported(env, second, one_section("contents", "400000.00"))
    assert post(risk, f"/claims/{second}/amount", {"confirm": "1"}).status_code == 303
    t = text_of(risk.get(f"/claims/{second}"))
    assert f"本保单其他案件已赔付： 案件 {first_no} 已付 399,000.00" in t, t


def test_guard_rails_on_the_pages_confirm_offers_withdraw_preview_close(env):
    cid = notice(env)
    reported(env, cid, one_section("machinery", "2500000.00"))
    case = f"/claims/{cid}"
    risk, broker, insurer = logged_in(env, "risk"), logged_in(env, "broker"), logged_in(env, "insurer1")
    # Confirming the amount shows a preview first; only the second button confirms.
    r = post(risk, f"{case}/amount")
    assert r.status_code == 200 and 'id="amount-preview"' in r.text
    t = text_of(r)
    assert "预览" in t and "¥2,375,000.00" in t and "确认该金额" in t
    assert _ok(env.client("risk").get(f"/api/v1/claims/{cid}/case"))["confirmation"] is None
    assert post(risk, f"{case}/amount", {"confirm": "1"}).status_code == 303
    # A zero offer asks for a confirmation beside the amount, with a box to tick.
    r = post(broker, f"{case}/negotiation", {"move": "propose", "amount": "0"})
    assert r.status_code == 422 and 'id="propose-amount-error"' in r.text and 'name="confirm"' in r.text
    assert "报价为零" in text_of(r)
    r = post(broker, f"{case}/negotiation", {"move": "propose", "amount": "0", "confirm": "1"})
    assert r.status_code == 303
    # The maker sees its proposal waiting and may withdraw it; the insurer's page has no such button.
    assert 'action="/claims/' + cid + '/negotiation"' in broker.get(case).text
    assert "撤回报价" in text_of(broker.get(case)) and "撤回报价" not in text_of(insurer.get(case))
    assert post(broker, f"{case}/negotiation", {"move": "withdraw"}).status_code == 303
    assert _ok(env.client("broker").get(f"/api/v1/claims/{cid}/case"))["claim"]["status"] == "amount_confirmed"
    # Closing asks for a confirmation too.
    assert post(broker, f"{case}/negotiation", {"move": "propose", "amount": "2375000.00"}).status_code == 303
    assert post(insurer, f"{case}/negotiation", {"move": "refuse", "reason": "不属保险责任"}).status_code == 303
    r = post(broker, f"{case}/close")
    assert r.status_code == 422 and 'id="close-confirm-error"' in r.text
    assert post(broker, f"{case}/close", {"confirm": "1"}).status_code == 303
    assert _ok(env.client("broker").get(f"/api/v1/claims/{cid}/case"))["claim"]["status"] == "closed"


def test_the_co_signer_signs_from_their_own_page_and_ineligible_practitioners_are_not_offered(env):
    from tests.helpers import sign_on_page

    cid = notice(env)
    me = accepted_with_team(env, cid)
    firm, second = logged_in(env, "adjuster1"), logged_in(env, "adjuster2")
    case = f"/claims/{cid}"
    page = firm.get(case).text
    team_select = page[
        page.index('id="team-adjuster_id"') : page.index("</select>", page.index('id="team-adjuster_id"'))
    ]
    assert "周敏" in team_select and "钱永刚" not in team_select  # lapsed: not offered
    now = env.clock.now().isoformat()
    _ok(env.client("adjuster1").post(f"/api/v1/claims/{cid}/surveys", json={"scheduled_at": now, "surveyed_at": now}))
    _ok(env.client("adjuster1").put(f"/api/v1/claims/{cid}/report-draft", json=_draft()))
    assert post(firm, f"{case}/reports", {"signers": [me["王建国"], me["李娜"]]}).status_code == 303
    t = text_of(firm.get(case))
    assert "待签署" in t and "李娜 · 尚未签署" in t and "签署报告 GR-" not in t  # 王建国 signed already
    sign_on_page(second, case)
    assert "报告已提交" in text_of(second.get(case))


def test_the_consultation_page_shows_the_umpires_affiliation(env):
    cid, _ = to_umpire(env)
    firm_a = env.client("adjuster1")
    found = _ok(firm_a.get(f"/api/v1/claims/{cid}/consultation/umpire-candidates"))["items"]
    deng = next(c for c in found if c["name"] == "邓建华")
    _ok(firm_a.post(f"/api/v1/claims/{cid}/consultation/umpire", json={"kind": "expert", "umpire_id": deng["id"]}))
    page = logged_in(env, "adjuster3").get(f"/claims/{cid}/consultation")
    t = text_of(page)
    assert "恒信保险经纪有限公司" in t and 'id="umpire-not-neutral"' in page.text and "须经对方明确同意" in t


def test_each_side_accepts_an_out_of_range_award_on_the_consultation_page(env):
    cid, roof = to_umpire(env)
    firm_a = env.client("adjuster1")
    lin = next(c for c in _ok(firm_a.get(f"/api/v1/claims/{cid}/consultation/umpire-candidates"))["items"])
    _ok(firm_a.post(f"/api/v1/claims/{cid}/consultation/umpire", json={"kind": "adjuster", "umpire_id": lin["id"]}))
    _ok(env.client("adjuster3").post(f"/api/v1/claims/{cid}/consultation/umpire/accept"))
    page = f"/claims/{cid}/consultation"
    a, b, risk = logged_in(env, "adjuster1"), logged_in(env, "adjuster3"), logged_in(env, "risk")
    for side in (a, b):
        assert f'id="award-{roof}"' in side.get(page).text and "接受超出双方立场的裁定" in text_of(side.get(page))
    assert f'id="award-{roof}"' not in risk.get(page).text  # the sides accept; the broker records
    r = post(a, f"{page}/items/{roof}/award", {"amount": ""})
    assert r.status_code == 422 and f'id="a-amount-{roof}-error"' in r.text
    assert post(a, f"{page}/items/{roof}/award", {"amount": "380000.00"}).status_code == 303
    decide = {"amount": "380000.00", "reason": "重新询价"}
    r = post(risk, f"{page}/items/{roof}/decision", decide)
    assert r.status_code == 409 and "须双方先明确接受 380000.00" in text_of(r), text_of(r)[:3000]  # one side only
    assert post(b, f"{page}/items/{roof}/award", {"amount": "380,000.00"}).status_code == 303
    assert "已接受超出双方立场的裁定 ¥380,000.00" in text_of(risk.get(page))  # each side's acceptance on the record
    assert post(risk, f"{page}/items/{roof}/decision", decide).status_code == 303
    assert _ok(env.client("broker").get(f"/api/v1/claims/{cid}/consultation"))["state"] == "agreed"


def test_an_ineligible_practitioner_is_named_in_the_pages_language(env):
    """The words for why a practitioner may not work a case are Chinese on a zh-CN page and English on an en
    one (the API keeps the English, tests/claim/test_claim_corrections.py)."""
    cid = notice(env)
    me = accepted_with_team(env, cid)
    case = f"/claims/{cid}"
    zh = text_of(
        post(logged_in(env, "adjuster1", **{"Accept-Language": "zh-CN"}), f"{case}/team", {"adjuster_id": me["钱永刚"]})
    )
    assert "钱永刚：执业登记失效（核验未通过或逾期未核验）" in zh and "certificate lapsed" not in zh, zh[:2000]
    en = text_of(
        post(logged_in(env, "adjuster1", **{"Accept-Language": "en"}), f"{case}/team", {"adjuster_id": me["钱永刚"]})
    )
    assert "钱永刚: registration lapsed (verification failed or overdue)" in en


def test_the_insurer_reconsiders_a_refusal_and_the_claim_counts_as_a_refusal_later_paid(env):
    """A refused claim is not always the end: the insurer withdraws its refusal on the page (its reason
    required beside the field), the negotiation resumes on the broker's standing offer, the claim is paid, and
    the insurer's claims record (placement.comparison.facts_by_claim) counts it as a refusal later paid."""
    import uuid

    from tandem.claim.models import Claim
    from tandem.placement.comparison import facts_by_claim

    cid = notice(env)
    reported(env, cid, one_section("machinery", "2500000.00"))
    case, api = f"/claims/{cid}", f"/api/v1/claims/{cid}"
    _ok(env.client("risk").post(f"{api}/amount-confirmation"))
    _ok(env.client("broker").post(f"{api}/negotiation", json={"move": "propose"}))
    ins = env.client("insurer1")
    _ok(ins.post(f"{api}/negotiation", json={"move": "refuse", "reason": "不属保险责任"}))
    insurer = logged_in(env, "insurer1", **{"Accept-Language": "zh-CN"})
    assert "重新考虑拒赔" in text_of(insurer.get(case))
    assert 'id="act-reconsider"' not in logged_in(env, "broker").get(case).text
    r = post(insurer, f"{case}/negotiation", {"move": "reconsider", "reason": ""})
    assert r.status_code == 422 and 'id="reconsider-reason-error"' in r.text
    env.clock.advance(minutes=30)  # the insurer reviews its refusal
    reason = "经纪人投诉后复核，属于保险责任"
    assert post(insurer, f"{case}/negotiation", {"move": "reconsider", "reason": reason}).status_code == 303
    view = _ok(ins.get(f"{api}/case"))
    assert view["claim"]["status"] == "negotiating"
    assert "保险人撤回拒赔" in text_of(insurer.get(case))
    _ok(ins.post(f"{api}/negotiation", json={"move": "accept"}))
    amount = _ok(ins.get(f"{api}/case"))["confirmation"]["result"]["due"]
    _ok(ins.post(f"{api}/payments", json={"kind": "final", "amount": amount, "reference": "PAY-RECONSIDERED"}))
    with env.session() as s:
        _insurer, facts = facts_by_claim(s, Claim.id == uuid.UUID(cid))[uuid.UUID(cid)]
    assert facts.refused_at is not None and facts.paid_after_refusal and facts.paid_at is not None
