"""The termination assessment (issue 16 items 3 and 4, R-U10): after the insurer ends a bound policy the
broker instructs an adjuster firm by a letter of instruction (purpose ``termination``) on the placement's
case; the firm accepts it with its fee terms or declines it (back to the broker, who instructs another
firm); once accepted it files the signed 《保险合同效力中止或终止评估报告》 (kind ``termination``, the
itemised heads with evidence); the recovery takes its amount from it; the firm invoices the fee its own
letter fixed; the placement keeps its own pre-assessment letter."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import select

from tandem.access.models import Organisation
from tandem.audit.models import AuditEvent
from tandem.claim import documents
from tandem.claim.models import Appointment
from tandem.kit.clock import SHANGHAI
from tandem.report.models import Report
from tests.helpers import XINDA, _ok, logged_in, policy_bound, post, text_of

API = "/api/v1/policies"
RAISE = Decimal("5000000.00")
CONTENT = {
    "cause": "保险人以危险程度显著增加为由解除合同",
    "basis": "解除通知书、原保单、三家保险公司的新报价",
    "heads": [
        {"head": "refund_due", "amount": "1500.00", "evidence": "解除通知书载明的退费"},
        {"head": "replacement_cost", "amount": "3200.00", "evidence": "新报价 4700.00 减退费 1500.00"},
        {"head": "other_costs", "amount": "800.00", "evidence": "重新验标费用发票"},
    ],
}


def _adjuster_ids(env) -> list[str]:
    items = _ok(env.client("broker").get("/api/v1/adjusters?limit=100"))["items"]
    return [next(a["id"] for a in items if a["name"] == n) for n in ("张伟", "陈亮")]


# 3.5 % of the assessed loss, the insured pays within 30 days (VAT 6 %).
TERMS = {"basis": "rate", "rate": "0.035", "payer": "insured", "payment_days": 30}


def _letters(env, purpose: str = "pre_assessment") -> list[Appointment]:
    with env.session() as s:
        return list(s.execute(select(Appointment).where(Appointment.purpose == purpose)).scalars())


def _adjuster_id(env, name: str) -> str:
    items = _ok(env.client("broker").get("/api/v1/adjusters?limit=100"))["items"]
    return next(a["id"] for a in items if a["name"] == name)


def _accepted(env, pid: str, note: str = "请评估解除造成的损失") -> str:
    """Instructed (the placement's firm, by default) and accepted with TERMS; the assessment's path."""
    t = f"{API}/{pid}/termination-assessment"
    _ok(env.client("broker").post(t, json={"note": note}), 201)
    _ok(env.client("adjuster3").post(f"{t}/letter/accept", json={"terms": TERMS}))
    return t


def _terminated_bound(env) -> str:
    pid = policy_bound(env)
    start = dt.date.fromisoformat(_ok(env.client("broker").get(f"{API}/{pid}"))["period_start"])
    today = env.clock.now().astimezone(SHANGHAI).date()
    body = {
        "action": "terminate", "effective_date": max(start + dt.timedelta(days=1), today).isoformat(),
        "reason_code": "risk_increased", "reason": "危险程度显著增加", "ended_by": "insurer",
    }  # fmt: skip
    _ok(env.client("underwriter1").post(f"{API}/{pid}/status-changes", json=body), 201)
    return pid


def test_a_declined_letter_goes_back_to_the_broker_and_the_accepted_one_is_invoiced_on_its_terms(env) -> None:
    pid = _terminated_bound(env)
    pre_letters = [a.letter_no for a in _letters(env)]
    t = f"{API}/{pid}/termination-assessment"
    broker, other, firm = env.client("broker"), env.client("adjuster1"), env.client("adjuster3")
    assert firm.put(f"{t}/draft", json={"content": CONTENT}).status_code == 403
    bad = broker.post(t, json={"adjuster_id": str(uuid.uuid4())})
    assert bad.status_code == 422 and "adjuster_id" in bad.json()["error"]["fields"]
    # The broker instructs another firm (王建国's) by a letter; it declines with a reason.
    made = _ok(broker.post(t, json={"note": "请评估解除造成的损失", "adjuster_id": _adjuster_id(env, "王建国")}), 201)
    assert made["status"] == "instructed" and made["letter"]["state"] == "issued"
    assert made["letter"]["letter_no"].startswith("QRH") and made["letter"]["adjuster"] == "王建国"
    assert broker.post(t, json={}).status_code == 409
    assert other.get(t).status_code == 200  # the instructed firm reads the policy's assessment
    assert other.put(f"{t}/draft", json={"content": CONTENT}).status_code == 409  # not before it accepts
    assert other.post(f"{t}/letter/decline", json={"reason": " "}).status_code == 422
    declined = _ok(other.post(f"{t}/letter/decline", json={"reason": "本所近期人手不足"}))
    assert declined["status"] == "declined" and declined["letter"]["decline_reason"] == "本所近期人手不足"
    assert other.get(t).status_code == 404  # no longer a party
    assert other.post(f"{t}/letter/accept", json={"terms": TERMS}).status_code == 404
    again = broker.post(t, json={"adjuster_id": _adjuster_id(env, "王建国")})
    assert again.status_code == 422 and "adjuster_id" in again.json()["error"]["fields"]
    with env.session() as s:
        events = [e.action for e in s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]
    assert events.count("termination.instructed") == 1 and "termination.declined" in events
    # The broker instructs the placement's own firm (张伟, by default); it accepts with its fee terms.
    second = _ok(broker.post(t, json={"note": "改委托华信"}), 201)
    assert second["status"] == "instructed" and second["letter"]["adjuster"] == "张伟"
    assert [lt["state"] for lt in second["letters"]] == ["declined", "issued"]
    with env.session() as s:  # the letter asks for the termination assessment of the policy, not a pre-assessment
        letter = s.execute(
            select(Appointment).where(Appointment.letter_no == second["letter"]["letter_no"])
        ).scalar_one()
        zh, en = documents.letter_html(s, letter), documents.letter_html(s, letter, "en")
    assert "公估委托函" in zh and "保险合同效力中止或终止评估报告" in zh and "预评估" not in zh
    assert "Letter of Instruction" in en and "termination assessment report" in en
    assert _ok(broker.get(f"{API}/{pid}"))["number"] in zh
    assert firm.put(f"{t}/draft", json={"content": CONTENT}).status_code == 409  # accept first
    wrong_payer = firm.post(f"{t}/letter/accept", json={"terms": {**TERMS, "payer": "insurer"}})
    assert wrong_payer.status_code == 422 and "terms.payer" in wrong_payer.json()["error"]["fields"]
    accepted = _ok(firm.post(f"{t}/letter/accept", json={"terms": TERMS}))
    assert accepted["status"] == "accepted" and accepted["letter"]["fee_terms"]["rate"] == "0.035"
    assert _ok(env.client("insured1").get(t))["letter"]["fee_terms"]["payer"] == "insured"
    assert _ok(env.client("underwriter1").get(t))["letter"]["fee_terms"] is None  # the insurer reads no fees
    assert firm.post(f"{t}/letter/accept", json={"terms": TERMS}).status_code == 409
    # Nothing invoiceable before the report.
    inv = f"/api/v1/cases/{accepted['case_id']}/invoices"
    assert firm.post(inv, json={"purpose": "termination"}).status_code == 409
    empty = firm.put(f"{t}/draft", json={"content": {**CONTENT, "heads": []}})
    assert empty.status_code == 422 and "heads" in empty.json()["error"]["fields"]
    wrong = firm.put(f"{t}/draft", json={"content": {**CONTENT, "assessed_loss": "1.00"}})
    assert wrong.status_code == 422
    draft = _ok(firm.put(f"{t}/draft", json={"content": CONTENT}))
    assert draft["content"]["assessed_loss"] == "5500.00"
    report = _ok(firm.post(f"{t}/report", json={"signer_ids": _adjuster_ids(env)}), 201)
    assert report["number"].startswith("ZP")
    seen = _ok(env.client("insured1").get(f"{t}"))
    assert seen["status"] == "reported" and seen["content"]["heads"][1]["amount"] == "3200.00"
    assert firm.post(f"{t}/report", json={"signer_ids": _adjuster_ids(env)}).status_code == 409
    # The firm invoices the fee its own letter fixed: 3.5 % of 5,500.00 = 192.50, VAT 6 % 11.55.
    invoice = _ok(firm.post(inv, json={"purpose": "termination"}), 201)
    lines = {line["code"]: line["amount"] for line in invoice["lines"]}
    assert (lines["fee"], lines["vat"], invoice["total"]) == ("192.50", "11.55", "204.05")
    assert invoice["payer_kind"] == "insured" and invoice["calculation"]["terms"]["rate"] == "0.035"
    with env.session() as s:
        assert s.get(Organisation, uuid.UUID(invoice["payer_id"])).name == XINDA
    assert firm.post(inv, json={"purpose": "termination"}).status_code == 409  # one live invoice
    # The recovery takes the signed report's heads and amount (no heads needed).
    rec = _ok(broker.post(f"{API}/{pid}/recoveries", json={"reasons": "依据评估报告追偿"}), 201)
    assert (rec["amount"], rec["report_id"]) == ("5500.00", report["id"])
    assert [h["head"] for h in rec["heads"]] == ["refund_due", "replacement_cost", "other_costs"]
    assert [a.letter_no for a in _letters(env)] == pre_letters  # the placement keeps its own letter
    assert [a.state for a in _letters(env, "termination")] == ["declined", "accepted"]
    with env.session() as s:  # the report's document lists the heads with their evidence
        html = documents._risk_report_html(s, s.get(Report, uuid.UUID(report["id"])))
    assert "剩余期间重新投保费用" in html and "新报价 4700.00 减退费 1500.00" in html and "5,500.00" in html


def test_outsiders_and_the_wrong_parties_cannot_answer_the_letter(env) -> None:
    pid = _terminated_bound(env)
    t = f"{API}/{pid}/termination-assessment"
    _ok(env.client("broker").post(t, json={}), 201)
    assert env.client("insured2").get(t).status_code == 404
    assert env.client("adjuster1").get(t).status_code == 404
    assert env.client("adjuster1").post(f"{t}/letter/accept", json={"terms": TERMS}).status_code == 404
    assert env.client("broker").post(f"{t}/letter/accept", json={"terms": TERMS}).status_code == 403
    assert env.client("insured1").post(f"{t}/letter/decline", json={"reason": "x"}).status_code == 403
    told = _ok(env.client("adjuster3").get("/api/v1/notifications"))
    assert any("评估效力中止或终止造成的损失" in n["subject"] for n in told)


def test_the_assessment_on_its_page_in_zh(env) -> None:
    pid = _terminated_bound(env)
    broker = logged_in(env, "broker")
    assert "中止或终止评估" in text_of(broker.get(f"/policies/{pid}/recovery"))
    r = post(broker, f"/policies/{pid}/termination-assessment", {"note": "请评估解除造成的损失"})
    assert r.status_code == 303, text_of(r)[:1500]
    assert "已委托公估机构评估损失" in text_of(broker.get(r.headers["location"]))
    firm = logged_in(env, "adjuster3")
    assert 'name="cause"' not in firm.get(f"/policies/{pid}/termination-assessment").text  # accept first
    terms = {"fee_basis": "fixed", "fee_amount": "", "fee_payer": "insured", "fee_payment_days": "30"}
    bad_terms = post(firm, f"/policies/{pid}/termination-assessment/letter/accept", terms)
    assert bad_terms.status_code == 422 and "必填" in text_of(bad_terms)
    ok_terms = post(firm, f"/policies/{pid}/termination-assessment/letter/accept", {**terms, "fee_amount": "6000"})
    assert ok_terms.status_code == 303, text_of(ok_terms)[:1500]
    assert "6,000.00" in text_of(firm.get(ok_terms.headers["location"]))
    form = {
        "cause": CONTENT["cause"], "basis": CONTENT["basis"], "refund_due_amount": "1500.00",
        "refund_due_evidence": "", "signer_ids": _adjuster_ids(env),
    }  # fmt: skip
    bad = post(firm, f"/policies/{pid}/termination-assessment/report", form)
    assert bad.status_code == 422 and "必填" in text_of(bad)
    ok = post(firm, f"/policies/{pid}/termination-assessment/report", {**form, "refund_due_evidence": "解除通知书"})
    assert ok.status_code == 303, text_of(ok)[:1500]
    # The firm invoices its letter's fixed fee from the case's invoices page (6,000.00 + VAT 6 %).
    case_id = _ok(env.client("adjuster3").get(f"{API}/{pid}/termination-assessment"))["case_id"]
    form_page = firm.get(f"/cases/{case_id}/invoices?purpose=termination").text
    assert 'name="purpose" value="termination"' in form_page
    raised = post(firm, f"/cases/{case_id}/invoices", {"purpose": "termination"})
    assert raised.status_code == 303, text_of(raised)[:1500]
    assert "6,360.00" in text_of(firm.get(raised.headers["location"]))
    assert 'name="purpose"' not in firm.get(f"/cases/{case_id}/invoices?purpose=termination").text  # one live
    page = text_of(logged_in(env, "insured1").get(f"/policies/{pid}/termination-assessment"))
    assert "保险合同效力中止或终止评估报告" in page and "应退保费" in page and "1,500.00" in page
    assert logged_in(env, "insured2").get(f"/policies/{pid}/termination-assessment").status_code == 404
    # The broker's recovery form takes the report's amount: no heads to type.
    recovery_form = broker.get(f"/policies/{pid}/recovery").text
    assert "追偿金额取评估报告" in recovery_form and "1,500.00" in recovery_form
    assert 'name="refund_due_amount"' not in recovery_form


def test_a_bound_policy_in_force_through_the_api(env) -> None:
    """The browser journey's story through the API: a mid-term increase with its additional premium, the
    insurer's termination with the refund, the signed termination report and the recovery paid from it."""
    pid = policy_bound(env, days_ago=200)  # in force for some months
    today = env.clock.now().astimezone(SHANGHAI).date()
    broker, underwriter, firm = (env.client(u) for u in ("broker", "underwriter1", "adjuster3"))
    sections = _ok(broker.get(f"{API}/{pid}/versions"))[-1]["sections"]  # with their rates
    raised = [
        {"code": s["code"], "name": s["name"], "rate_permille": s["rate_permille"],
         "sum_insured": f"{Decimal(s['sum_insured']) + (RAISE if i == 0 else 0):.2f}"}
        for i, s in enumerate(sections)
    ]  # fmt: skip
    body = {"effective_date": (today - dt.timedelta(days=40)).isoformat(), "sections": raised, "reason": "新厂房"}
    change = _ok(broker.post(f"{API}/{pid}/endorsements", json=body), 201)
    assert Decimal(change["premium_delta"]) > 0
    _ok(underwriter.post(f"{API}/{pid}/endorsements/{change['id']}/actions", json={"action": "accept"}))
    versions = _ok(env.client("insured1").get(f"{API}/{pid}/versions"))
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[1]["premium_delta"] == change["premium_delta"]
    end = {
        "action": "terminate", "effective_date": (today - dt.timedelta(days=10)).isoformat(),
        "reason_code": "risk_increased", "reason": "危险程度显著增加", "ended_by": "insurer",
    }  # fmt: skip
    refund = Decimal(_ok(underwriter.post(f"{API}/{pid}/status-changes", json=end), 201)["refund"])
    assert refund > 0
    t = _accepted(env, pid)
    heads = [{**CONTENT["heads"][0], "amount": f"{refund:.2f}"}, *CONTENT["heads"][1:]]
    _ok(firm.put(f"{t}/draft", json={"content": {**CONTENT, "heads": heads}}))
    report = _ok(firm.post(f"{t}/report", json={"signer_ids": _adjuster_ids(env)}), 201)
    assessed = refund + Decimal("3200.00") + Decimal("800.00")
    seen = _ok(env.client("insured1").get(t))
    assert (seen["status"], Decimal(seen["content"]["assessed_loss"])) == ("reported", assessed)
    rec = _ok(broker.post(f"{API}/{pid}/recoveries", json={"reasons": "依据评估报告追偿"}), 201)
    assert (Decimal(rec["amount"]), rec["report_id"]) == (assessed, report["id"])
    r = f"{API}/{pid}/recoveries/{rec['id']}/actions"
    _ok(underwriter.post(r, json={"action": "accept"}))
    pay = {"action": "pay", "amount": f"{assessed:.2f}", "on_date": today.isoformat()}
    assert _ok(underwriter.post(r, json=pay))["status"] == "paid"
    [paid] = _ok(env.client("insured1").get(f"{API}/{pid}/recoveries"))
    assert (paid["status"], Decimal(paid["paid"])) == ("paid", assessed)
