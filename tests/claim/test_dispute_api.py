"""Two reports, one answer (R-C5): dispute, the insurer's own adjuster, consultation rounds, umpire, MoU,
amount confirmed from the MoU, payment — through the API."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader
from sqlalchemy import select

from tandem.kit.clock import SHANGHAI
from tandem.reconciliation.models import Consultation
from tandem.worker import runner
from tests.helpers import _ok, _to_reported, second_report


def test_dispute_to_mou_to_payment(env):
    broker, risk, insurer = env.client("broker"), env.client("risk"), env.client("insurer1")
    firm_a, firm_b = env.client("adjuster1"), env.client("adjuster3")
    cid = _to_reported(env)
    _ok(risk.post(f"/api/v1/claims/{cid}/amount-confirmation"))
    _ok(broker.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    case = _ok(insurer.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "dispute", "reason": "屋面单价偏高"}))
    assert case["claim"]["status"] == "disputed"

    register = {a["name"]: a for a in insurer.get("/api/v1/adjusters").json()["items"]}
    # A firm never acts for both sides.
    r = insurer.post(f"/api/v1/claims/{cid}/insurer-adjuster", json={"adjuster_id": register["周敏"]["id"]})
    assert r.status_code == 409 and "conflict_of_interest" in r.text
    r = insurer.post(f"/api/v1/claims/{cid}/insurer-adjuster", json={"adjuster_id": register["钱永刚"]["id"]})
    assert r.status_code == 409 and "certificate_lapsed" in r.text
    second_report(env, cid)

    view = _ok(broker.post(f"/api/v1/claims/{cid}/consultation"), 201)
    assert view["state"] == "aligning" and len(view["items"]) == 2
    roof = next(i for i in view["items"] if i["section"] == "building")
    machine = next(i for i in view["items"] if i["section"] == "machinery")
    assert (roof["a_ref"], roof["b_ref"], roof["state"]) == ("1", "B1", "open")
    assert machine["state"] == "agreed" and machine["how"] == "identical"
    assert "unit_value" in roof["fields_differ"]
    assert view["payable"]["at_a"] == "619500.00"

    view = _ok(firm_a.post(f"/api/v1/claims/{cid}/consultation/start"))
    assert view["state"] == "negotiating" and view["round"] == 1 and view["round_deadline"]
    r = firm_a.post(
        f"/api/v1/claims/{cid}/consultation/items/{roof['id']}/moves", json={"kind": "propose", "amount": "360000.00"}
    )
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    _ok(
        firm_a.post(
            f"/api/v1/claims/{cid}/consultation/items/{roof['id']}/moves",
            json={"kind": "propose", "amount": "360000.00", "reason": "按市场询价单价330元"},
        )
    )
    _ok(firm_b.post(f"/api/v1/claims/{cid}/consultation/items/{roof['id']}/moves", json={"kind": "hold"}))
    # Round deadlines are timers at the end (Asia/Shanghai) of the 5th working day after the round starts:
    # a minute before, the round is still open; just after, it closes and the next one starts.
    assert view["round_deadline"] == "2026-12-02T15:59:59.999999+00:00"  # opened Wed 11-25 → Wed 12-02
    deadlines = []
    for n in (1, 2, 3):
        with env.session() as s:
            cons = s.execute(select(Consultation)).scalar_one()
        assert cons.round == n and cons.round_deadline is not None
        deadlines.append(cons.round_deadline.astimezone(SHANGHAI).isoformat())
        env.clock.current = cons.round_deadline - dt.timedelta(minutes=1)
        runner.run_once(env.factory, env.settings, env.clock)
        with env.session() as s:
            assert s.execute(select(Consultation.round)).scalar_one() == n
        env.clock.current = cons.round_deadline + dt.timedelta(microseconds=1)
        runner.run_once(env.factory, env.settings, env.clock)
    # Round 2 starts at 00:00 on Thursday 12-03 (the start day is not counted), round 3 on Friday 12-11.
    assert deadlines == [
        "2026-12-02T23:59:59.999999+08:00",
        "2026-12-10T23:59:59.999999+08:00",
        "2026-12-18T23:59:59.999999+08:00",
    ]
    env._clients.clear()  # the tokens expired with the moved clock: log in again
    broker, risk, insurer = env.client("broker"), env.client("risk"), env.client("insurer1")
    firm_a, firm_b = env.client("adjuster1"), env.client("adjuster3")
    view = _ok(broker.get(f"/api/v1/claims/{cid}/consultation"))
    assert view["state"] == "umpire"

    expert = next(e for e in firm_a.get("/api/v1/experts").json()["items"] if e["name"] == "邓建华")
    _ok(firm_a.post(f"/api/v1/claims/{cid}/consultation/umpire", json={"kind": "expert", "umpire_id": expert["id"]}))
    assert firm_a.post(f"/api/v1/claims/{cid}/consultation/umpire/accept").status_code == 409
    _ok(firm_b.post(f"/api/v1/claims/{cid}/consultation/umpire/accept"))
    view = _ok(
        risk.post(
            f"/api/v1/claims/{cid}/consultation/items/{roof['id']}/umpire-decision",
            json={"amount": "342000.00", "reason": "取两份报告单价的中间值"},
        )
    )
    assert view["state"] == "agreed" and view["memorandum"]["number"].startswith("MOU-")
    assert view["memorandum"]["content"]["total_agreed"] == "702000.00"

    # Confirming from the first report is refused until the MoU is acknowledged by all four parties.
    assert risk.post(f"/api/v1/claims/{cid}/amount-confirmation").status_code == 409
    for c in (firm_a, firm_b, risk, insurer):
        view = _ok(c.post(f"/api/v1/claims/{cid}/consultation/memorandum/ack"))
    assert view["memorandum"]["final"] is True
    assert firm_a.post(f"/api/v1/claims/{cid}/consultation/memorandum/ack").status_code == 409

    pdf = insurer.get(f"/api/v1/claims/{cid}/consultation/memorandum.pdf")
    assert pdf.status_code == 200
    assert "谅解备忘录" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    en = insurer.get(f"/api/v1/claims/{cid}/consultation/memorandum.pdf?lang=en")
    assert "Memorandum of Understanding" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(en.content)).pages)

    case = _ok(risk.post(f"/api/v1/claims/{cid}/amount-confirmation"))
    assert case["confirmation"]["basis_kind"] == "mou"
    building = next(s for s in case["confirmation"]["result"]["sections"] if s["code"] == "building")
    # (342000 − 8000) × 30M/36M = 278333.33; deductible 10 % = 27833.33; payable 250500.00
    assert building["payable"] == "250500.00"
    # The insured value is the replacement value the MoU carries (report A's; report B gives none).
    memo = view["memorandum"]
    assert next(s for s in memo["content"]["sections"] if s["code"] == "building")["replacement_value"] == "36000000.00"
    mou = {"kind": "mou", "number": memo["number"]}
    assert case["confirmation"]["sources"]["building"]["insured_value"] == mou
    _ok(broker.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    _ok(insurer.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "accept"}))
    case = _ok(
        insurer.post(
            f"/api/v1/claims/{cid}/payments",
            json={"kind": "final", "amount": case["confirmation"]["result"]["due"], "reference": "PAY-9"},
        )
    )
    assert case["claim"]["status"] == "paid"
    actions = [e["action"] for e in case["timeline"]]
    for a in (
        "claim.dispute",
        "consultation.opened",
        "consultation.umpire_decided",
        "consultation.memorandum_acknowledged",
    ):
        assert a in actions
    # The other insurer and insured never see the dispute.
    assert env.client("insurer2").get(f"/api/v1/claims/{cid}/consultation").status_code == 404


def test_broker_refuses_a_blacklisted_insurer_adjuster_and_the_insurer_appoints_another(env):
    broker, risk, insurer = env.client("broker"), env.client("risk"), env.client("insurer1")
    cid = _to_reported(env)
    _ok(risk.post(f"/api/v1/claims/{cid}/amount-confirmation"))
    _ok(broker.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    _ok(insurer.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "dispute", "reason": "单价偏高"}))
    register = {a["name"]: a for a in insurer.get("/api/v1/adjusters").json()["items"]}
    _ok(insurer.post(f"/api/v1/claims/{cid}/insurer-adjuster", json={"adjuster_id": register["何雪梅"]["id"]}), 201)
    r = broker.post(f"/api/v1/claims/{cid}/insurer-adjuster/refuse", json={"reason": "该公估师在我司黑名单上"})
    assert r.status_code == 200, r.text
    assert env.client("adjuster3").get(f"/api/v1/claims/{cid}/case").status_code == 404
    _ok(insurer.post(f"/api/v1/claims/{cid}/insurer-adjuster", json={"adjuster_id": register["张伟"]["id"]}), 201)
    case = _ok(env.client("adjuster3").get(f"/api/v1/claims/{cid}/case"))
    assert case["claim"]["status"] == "disputed"
    actions = [e["action"] for e in case["timeline"]]
    assert actions.count("claim.insurer_adjuster_appointed") == 2 and "claim.insurer_adjuster_refused" in actions
