"""One claim from notice to payment through the API alone, every party doing its part (R-C1..R-C4)."""

from __future__ import annotations

import io
from decimal import Decimal

from pypdf import PdfReader
from sqlalchemy import select, text

from tandem.kit.storage import store_for
from tandem.report.models import Report
from tandem.worker import runner
from tests.helpers import _draft, _ok, _to_reported, co_sign


def test_notice_to_payment_through_the_api(env):
    insured, broker, risk = env.client("insured1"), env.client("broker"), env.client("risk")
    firm, second, insurer = env.client("adjuster1"), env.client("adjuster2"), env.client("insurer1")
    policy = next(p for p in insured.get("/api/v1/policies").json()["items"] if p["number"] == "PQC2026330400001")
    claim = _ok(
        insured.post(
            "/api/v1/claims",
            headers={"Idempotency-Key": "j-1"},
            json={
                "policy_id": policy["id"],
                "loss_at": "2026-11-24T22:30:00+08:00",
                "location": "浙江省嘉兴市南湖区亚中路88号",
                "description": "2号车间夜间起火",
                "channel": "app",
            },
        ),
        201,
    )
    cid = claim["id"]
    assert claim["status"] == "routed"  # the policy's designated adjuster is eligible

    # The firm accepts the confirmation letter with the fee basis and payment deadline.
    case = _ok(firm.get(f"/api/v1/claims/{cid}/case"))
    assert case["appointment"]["state"] == "issued"
    r = firm.post(f"/api/v1/claims/{cid}/appointment", json={"accept": True})
    assert r.status_code == 422 and "fee_basis" in r.json()["error"]["fields"]
    case = _ok(
        firm.post(
            f"/api/v1/claims/{cid}/appointment",
            json={"accept": True, "fee_basis": "按定损金额的1.5%", "fee_payment_days": 30},
        )
    )
    assert case["claim"]["status"] == "adjuster_assigned"

    # Survey needs two adjusters on the case.
    survey = {
        "scheduled_at": "2026-11-25T14:00:00+08:00",
        "surveyed_at": "2026-11-25T10:00:00+08:00",
        "participants": ["王建国", "李娜", "沈国平"],
        "notes": "屋面整体坍塌",
        "photo_hashes": [],
    }
    assert firm.post(f"/api/v1/claims/{cid}/surveys", json=survey).status_code == 409
    me = {a["name"]: a["id"] for a in firm.get("/api/v1/adjusters").json()["items"]}
    _ok(firm.post(f"/api/v1/claims/{cid}/team", json={"adjuster_id": me["李娜"]}))
    case = _ok(second.post(f"/api/v1/claims/{cid}/surveys", json=survey))
    assert case["claim"]["status"] == "surveying"

    # The report: draft, then two signatures, then immutable.
    _ok(firm.put(f"/api/v1/claims/{cid}/report-draft", json=_draft()))
    r = firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"]]})
    assert r.status_code == 422 and "signer_ids" in r.json()["error"]["fields"]
    r = firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"], me["周敏"]]})
    assert r.status_code == 422  # 周敏 did not work the case
    case = _ok(firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"], me["李娜"]]}), 201)
    assert case["claim"]["status"] == "surveying"  # one signature is not a report
    case = co_sign(second, cid)  # 李娜 signs in person
    report = case["reports"][0]
    assert case["claim"]["status"] == "reported" and report["number"].startswith("GR-")
    assert firm.put(f"/api/v1/claims/{cid}/reports/{report['id']}", json={}).status_code == 409
    # Copied to the insurer and supervision.
    assert _ok(insurer.get(f"/api/v1/claims/{cid}/case"))["reports"][0]["content_hash"] == report["content_hash"]
    assert env.client("regulator").get(f"/api/v1/claims/{cid}/case").status_code == 200

    # The worker renders the PDFs (confirmation letter and report) with an embedded CJK font.
    runner.run_once(env.factory, env.settings, env.clock)
    case = _ok(broker.get(f"/api/v1/claims/{cid}/case"))
    pdfs = {d["kind"]: d for d in case["documents"]}
    assert {"confirmation_letter", "report_pdf"} <= set(pdfs)
    data = store_for(env.settings.var_dir).get(pdfs["report_pdf"]["sha256"])
    assert data.startswith(b"%PDF")
    pdf = PdfReader(io.BytesIO(data))
    fonts = {
        str(f["/BaseFont"])
        for page in pdf.pages
        for f in (page["/Resources"].get_object().get("/Font") or {}).values()
        if "/BaseFont" in f.get_object()
    }
    assert any("CJK" in f for f in fonts), fonts
    text_ = "".join(page.extract_text() for page in pdf.pages)
    assert "公估报告" in text_ and "2#车间彩钢瓦屋面" in text_

    # Amount confirmation by the risk evaluators, with the engine.
    assert broker.post(f"/api/v1/claims/{cid}/amount-confirmation").status_code == 403
    case = _ok(risk.post(f"/api/v1/claims/{cid}/amount-confirmation"))
    res = case["confirmation"]["result"]
    building = next(s for s in res["sections"] if s["code"] == "building")
    # net 370000 × 30M/36M = 308333.33; deductible max(10000, 10 %) = 30833.33; payable 277500.00
    assert building["payable"] == "277500.00"
    machinery = next(s for s in res["sections"] if s["code"] == "machinery")
    assert machinery["payable"] == "342000.00"  # 360000 − max(5000, 5 % × 360000)
    assert res["total_payable"] == "619500.00"

    # Negotiation and payment.
    case = _ok(broker.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    assert case["claim"]["status"] == "negotiating"
    r = insurer.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "counter", "amount": "600000.00"})
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    _ok(
        insurer.post(
            f"/api/v1/claims/{cid}/payments", json={"kind": "advance", "amount": "100000.00", "reference": "ADV-001"}
        )
    )
    case = _ok(insurer.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "accept"}))
    assert case["claim"]["status"] == "agreed"
    assert any(d["kind"] == "payment_10d" and d["stopped_at"] is None for d in case["deadlines"])
    r = insurer.post(
        f"/api/v1/claims/{cid}/payments", json={"kind": "final", "amount": "619500.00", "reference": "PAY-001"}
    )
    assert r.status_code == 422 and "519500.00" in r.json()["error"]["fields"]["amount"]
    case = _ok(
        insurer.post(
            f"/api/v1/claims/{cid}/payments", json={"kind": "final", "amount": "519500.00", "reference": "PAY-001"}
        )
    )
    assert case["claim"]["status"] == "paid"
    # Closing cannot be undone: without confirm: true it is refused, naming the field, and nothing moves.
    for body in (None, {}, {"confirm": False}):
        r = broker.post(f"/api/v1/claims/{cid}/close", json=body)
        assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["confirm"], r.text
    assert _ok(broker.get(f"/api/v1/claims/{cid}/case"))["claim"]["status"] == "paid"
    case = _ok(broker.post(f"/api/v1/claims/{cid}/close", json={"confirm": True}))
    assert case["claim"]["status"] == "closed"
    actions = [e["action"] for e in case["timeline"]]
    for a in (
        "claim.notified",
        "claim.route",
        "claim.accept_appointment",
        "claim.start_survey",
        "claim.submit_report",
        "claim.confirm_amount",
        "claim.propose",
        "claim.accept",
        "claim.record_final_payment",
        "claim.close",
    ):
        assert a in actions, a
    assert sum(Decimal(p["amount"]) for p in case["payments"]) == Decimal("619500.00")

    # The outsider still sees nothing.
    assert env.client("insured2").get(f"/api/v1/claims/{cid}/case").status_code == 404


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
