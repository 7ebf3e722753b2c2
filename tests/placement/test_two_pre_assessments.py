"""Two pre-assessments, one answer (R-U8), through the API: the insurer's own adjuster writes, signs and
submits its 《预评估报告》; the insurer opens the consultation over the two reports' risk points; one point
is disputed through three rounds and settled by an umpire; the MoU is acknowledged by both adjusters, the
broker's risk evaluator, the insurer and the insured; it is merged into the risk register (no second
seeding) and the insurer rates the premium on it through the engine. The other insurer approached with the
placement sees none of it."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import select, text

from tandem.audit.service import verify
from tandem.party.models import InsurerProduct, ProductStatus
from tandem.placement import risk_pricing
from tandem.placement.models import Placement
from tandem.placement.risk_models import RegisterPoint
from tests.helpers import _ok, _user_actor, placement_at_market, placement_reported, second_report_in

API = "/api/v1/placements"
NOT_FOUND = {"error": {"code": "not_found", "message": "Not found."}}


def _ids(env) -> dict[str, str]:
    return {a["name"]: a["id"] for a in _ok(env.client("broker").get("/api/v1/adjusters?limit=100"))["items"]}


def _placement_with_register(env) -> str:
    """Reported, the register drawn up and published, the insured's decisions taken, then to market."""
    pid = placement_reported(env)
    risk, insured = env.client("risk"), env.client("insured1")
    _ok(risk.post(f"{API}/{pid}/risk-register"), 201)
    _ok(risk.post(f"{API}/{pid}/risk-register/publish"))
    later = (env.clock.now().date() + dt.timedelta(days=60)).isoformat()
    decisions = [
        {"ref": "1", "choice": "premium"},
        {"ref": "2", "choice": "remediate", "committed_date": later},
        {"ref": "3", "choice": "remediate", "committed_date": later},
    ]
    _ok(insured.put(f"{API}/{pid}/decisions", json={"decisions": decisions}))
    return placement_at_market(env, pid)


def _expected_premium(env, pid: str, coefficients: dict[str, str]) -> Decimal | None:
    """The engine's total for insurer1's products with the given loadings and the insured's decisions
    (point 1's loading accepted, 2 and 3 remediated), the input built by hand."""
    with env.session() as s:
        placement = s.get(Placement, uuid.UUID(pid))
        insurer = _user_actor(s, "underwriter1").org_id
        catalogue = list(
            s.execute(
                select(InsurerProduct).where(
                    InsurerProduct.insurer_id == insurer, InsurerProduct.status == ProductStatus.PUBLISHED
                )
            )
            .unique()
            .scalars()
        )
        prices = risk_pricing.quote(
            catalogue,
            lines=placement.lines,
            sections=risk_pricing.sections_of(placement.subject),
            start=placement.period_start,
            end=placement.period_end,
            points=[
                risk_pricing.PricedPoint(r, Decimal(c), "premium" if r == "1" else "remediate")
                for r, c in coefficients.items()
            ],
        )
        return prices.totals.now if prices.totals else None


def test_two_pre_assessments_go_through_consultation_to_an_mou_the_register_and_the_premium(env):
    broker, risk, insured = env.client("broker"), env.client("risk"), env.client("insured1")
    uw1, uw2 = env.client("underwriter1"), env.client("underwriter2")
    firm_a, firm_b = env.client("adjuster1"), env.client("adjuster3")
    pid = _placement_with_register(env)
    url = f"{API}/{pid}/consultation"

    # Before the insurer's adjuster reported there is nothing to reconcile.
    assert uw1.post(url).status_code == 409
    second_report_in(env, pid)

    # The other insurer does not see the insurer's adjuster's report; the broker's adjuster does.
    numbers = {r["number"] for r in _ok(broker.get(f"{API}/{pid}/pre-assessment"))["reports"]}
    assert len(numbers) == 2
    assert {r["number"] for r in _ok(firm_a.get(f"{API}/{pid}/pre-assessment"))["reports"]} == numbers
    seen_by_other = _ok(uw2.get(f"{API}/{pid}/pre-assessment"))
    assert len(seen_by_other["reports"]) == 1 and seen_by_other["visits"] == []
    assert {m["name"] for m in seen_by_other["team"]} == {"王建国", "李娜"}  # not the other insurer's 张伟, 陈亮
    assert {m["name"] for m in _ok(uw1.get(f"{API}/{pid}/pre-assessment"))["team"]} >= {"张伟", "陈亮"}

    # The other insurer cannot open it (it has no adjuster); the insurer does; nobody opens twice.
    assert uw2.post(url).status_code == 409
    opened = _ok(uw1.post(url), 201)
    assert opened["state"] == "aligning" and uw1.post(url).status_code == 409
    by_pair = {(i["a_ref"], i["b_ref"]): i for i in opened["items"]}
    assert set(by_pair) == {("1", "F1"), ("2", "F2"), ("3", "F3")}
    assert [p for p, i in by_pair.items() if i["state"] == "open"] == [("1", "F1")]
    disputed = by_pair[("1", "F1")]["id"]

    # A competing insurer gets the same 404 as for a placement without a consultation.
    other = placement_at_market(env)
    assert uw2.get(url).json() == uw2.get(f"{API}/{other}/consultation").json() == NOT_FOUND
    assert uw2.get(url).status_code == 404

    # Rounds: the broker's adjuster proposes, the insurer's holds; three rounds, then the umpire.
    _ok(firm_a.post(f"{url}/start"))
    move = f"{url}/items/{disputed}/moves"
    r = firm_a.post(move, json={"kind": "propose", "level": "中", "coefficient": "1.1200"})
    assert r.status_code == 422 and r.json()["error"]["fields"] == {"reason": "required"}, r.text
    _ok(firm_a.post(move, json={"kind": "propose", "level": "中", "coefficient": "1.1200", "reason": "电缆已部分更换"}))
    _ok(firm_b.post(move, json={"kind": "hold"}))
    assert broker.post(f"{url}/end-round", json={}).status_code == 422
    for expected in (2, 3):
        assert _ok(broker.post(f"{url}/end-round", json={"confirm": True}))["round"] == expected
    assert _ok(broker.post(f"{url}/end-round", json={"confirm": True}))["state"] == "umpire"

    # The umpire: a third adjuster from outside both sides, proposed by one, accepted by the other.
    ids = _ids(env)
    r = firm_a.post(f"{url}/umpire", json={"kind": "adjuster", "umpire_id": ids["周敏"]})  # firm A's own
    assert r.status_code == 409 and "umpire_id" in r.json()["error"]["fields"], r.text
    _ok(firm_a.post(f"{url}/umpire", json={"kind": "adjuster", "umpire_id": ids["林志伟"]}))
    assert firm_a.post(f"{url}/umpire/accept").status_code == 409  # the other side accepts
    _ok(firm_b.post(f"{url}/umpire/accept"))
    decision = {"level": "中", "coefficient": "1.1200", "reason": "整改部分完成，按中等风险加费12%"}
    assert broker.post(f"{url}/items/{disputed}/umpire-decision", json=decision).status_code == 403
    view = _ok(risk.post(f"{url}/items/{disputed}/umpire-decision", json=decision))
    memo = view["memorandum"]
    assert view["state"] == "agreed" and memo is not None and memo["final"] is False
    settled = {
        (p["a_ref"], p["b_ref"]): (p["level"], p["coefficient"], p["how"]) for p in memo["content"]["risk_points"]
    }
    assert settled[("1", "F1")] == ("中", "1.1200", "umpire")
    original = next(p for p in memo["content"]["risk_points"] if p["a_ref"] == "1")
    assert (original["a_level"], original["a_coefficient"]) == ("高", "1.1500")  # as report A said
    assert (original["b_level"], original["b_coefficient"]) == ("中", "1.1000")
    assert settled[("2", "F2")] == ("中", "1.0500", "identical")

    # Not the basis before every acknowledgement: no merge, no premium.
    assert risk.post(f"{API}/{pid}/risk-register/memorandum").status_code == 409
    assert uw1.get(f"{url}/premium").status_code == 409

    # Five acknowledgements; the account manager is not the broker's risk evaluators.
    assert broker.post(f"{url}/memorandum/ack").status_code == 403
    for who in (firm_a, firm_b, risk, uw1):
        _ok(who.post(f"{url}/memorandum/ack"))
    assert uw2.post(f"{url}/memorandum/ack").status_code == 404
    assert firm_a.post(f"{url}/memorandum/ack").status_code == 409
    final = _ok(insured.post(f"{url}/memorandum/ack"))["memorandum"]
    assert final["final"] is True
    assert set(final["acknowledged_by"]) == {"adjuster_a", "adjuster_b", "broker", "insurer", "insured"}
    pdf = uw1.get(f"{url}/memorandum.pdf")
    assert pdf.status_code == 200 and pdf.headers["X-Content-SHA256"] == final["content_hash"]

    # The MoU goes into the register: the settled figure replaces the adjuster's; decisions stay.
    assert risk.post(f"{API}/{pid}/risk-register").status_code == 409  # never a second seeding
    assert broker.post(f"{API}/{pid}/risk-register/memorandum").status_code == 403
    assert risk.post(f"{API}/{pid}/risk-register/memorandum").status_code == 204
    with env.session() as s:
        points = {
            p.ref: p for p in s.execute(select(RegisterPoint).where(RegisterPoint.case_id == uuid.UUID(pid))).scalars()
        }
        assert (points["1"].level, points["1"].coefficient) == ("中", Decimal("1.1200"))
        assert {r: p.choice for r, p in points.items()} == {"1": "premium", "2": "remediate", "3": "remediate"}

    # The insurer rates the premium on the MoU through the engine: what the engine gives for its products
    # with the settled loadings, not the broker's adjuster's.
    rated = _ok(uw1.get(f"{url}/premium"))
    expected = _expected_premium(env, pid, {"1": "1.1200", "2": "1.0500", "3": "1.3000"})
    unsettled = _expected_premium(env, pid, {"1": "1.1500", "2": "1.0500", "3": "1.3000"})
    assert expected is not None and Decimal(rated["totals"]["now"]) == expected != unsettled
    assert _ok(insured.get(f"{url}/premium"))["totals"]["now"] == rated["totals"]["now"]
    assert uw2.get(f"{url}/premium").status_code == 404

    with env.session() as s:
        assert verify(s) == []
        rows = s.execute(
            text("SELECT action, audience FROM audit_event WHERE chain_key = :k ORDER BY seq"), {"k": f"case:{pid}"}
        ).all()
        actions = [a for a, _ in rows]
        for action in (
            "placement.insurer_adjuster.reported",
            "consultation.opened",
            "consultation.round_started",
            "consultation.to_umpire",
            "consultation.umpire_decided",
            "consultation.memorandum_generated",
            "consultation.memorandum_acknowledged",
            "risk_register.settled",
            "risk_register.memorandum_merged",
        ):
            assert action in actions, action
        # No consultation event is addressed to the insurers' side as a whole.
        assert all("insurer" not in (aud or []) for a, aud in rows if a.startswith("consultation."))
