"""Two pre-assessments, one answer (R-U8): the broker's adjuster's 《预评估报告》 and the insurer's own
adjuster's go through the one competitive consultation engine (竞争性磋商, ``tandem.reconciliation``) over
their risk points — rounds, umpire — and end in the MoU (《谅解备忘录》) that both adjusters, the broker's
risk evaluators, the insurer and the insured acknowledge. The acknowledged MoU's settled risk points are
merged into the risk register (never a second seeding), and the insurer rates the premium on them through
the premium engine (``risk_pricing``, the insurer's own products only).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.case import service as case_service
from tandem.claim.models import PartyRole
from tandem.kit.errors import ActionNotAllowed, Conflict, NotFound
from tandem.party.models import InsurerProduct, ProductStatus
from tandem.placement import risk, risk_pricing, second_opinion
from tandem.placement.models import Placement
from tandem.placement.risk_models import RiskRegister
from tandem.placement.second_models import InsurerAdjuster
from tandem.placement.service import case_of, get_placement
from tandem.reconciliation import consultation as engine
from tandem.reconciliation.models import Consultation, Memorandum
from tandem.report.models import Report

BOTH_REPORTS = "Both adjusters' reports are needed."


def _second(session: Session, actor: Actor, placement: Placement, appointment_id: object | None) -> InsurerAdjuster:
    """The insurer's appointment whose report is reconciled: the one named (the broker names it), else the
    acting insurer's own."""
    rows = second_opinion.visible(session, actor, placement)
    if appointment_id is not None:
        row = next((r for r in rows if str(r.id) == str(appointment_id)), None)
        if row is None:
            raise NotFound()
    else:
        row = next((r for r in rows if r.insurer_id == actor.org_id and r.state in second_opinion.ACTIVE), None)
    if row is None or row.state != second_opinion.REPORTED:
        raise Conflict(BOTH_REPORTS)
    return row


def open_consultation(
    session: Session,
    actor: Actor,
    placement_id: object,
    *,
    now: dt.datetime,
    round_working_days: int,
    appointment_id: object | None = None,
) -> Consultation:
    """The insurer (on its own adjuster's report) or the broker (naming the insurer's appointment) opens the
    consultation once both pre-assessments are in. One consultation per placement: the MoU is its answer."""
    placement = get_placement(session, actor, placement_id)
    row = _second(session, actor, placement, appointment_id)
    return engine.open_consultation(
        session,
        actor,
        placement.id,
        now=now,
        round_working_days=round_working_days,
        second=(row.insurer_id, row.firm_id),
    )


def consultation_of(session: Session, actor: Actor, placement_id: object) -> tuple[Placement, Consultation]:
    """The placement's consultation as the actor may read it (another insurer: 404)."""
    placement = get_placement(session, actor, placement_id)
    _, cons = engine.case_consultation(session, actor, placement.id)
    return placement, cons


def final_memorandum(
    session: Session, actor: Actor, placement_id: object
) -> tuple[Placement, Consultation, Memorandum]:
    """The placement's MoU once every party acknowledged it; 409 before."""
    placement, cons = consultation_of(session, actor, placement_id)
    memo = engine.acknowledged_memorandum(session, case_of(session, placement))
    if memo is None:
        raise Conflict("The memorandum is the basis once every party has acknowledged it.")
    return placement, cons, memo


# ---- the register takes in the MoU ------------------------------------------------------------------


def _report_point(report: Report, ref: str) -> dict[str, Any]:
    return next(p for p in report.content["risk_points"] if str(p["ref"]) == ref)


def settled_seeds(session: Session, cons: Consultation, memo: Memorandum) -> list[risk.SeedPoint]:
    """The MoU's risk points as register seeds: a point of the broker's adjuster's report keeps its ref and
    wording; a point only the insurer's adjuster found comes in as ``B<ref>``; the figures are the settled."""
    ra, rb = session.get(Report, cons.report_a_id), session.get(Report, cons.report_b_id)
    assert ra is not None and rb is not None
    seeds = []
    for p in memo.content["risk_points"]:
        ref, report = (p["a_ref"], ra) if p["a_ref"] else (p["b_ref"], rb)
        words = _report_point(report, str(ref))
        seeds.append(
            risk.SeedPoint(
                ref=str(ref) if p["a_ref"] else f"B{ref}",
                title=words["title"],
                description=words["description"],
                location=words["location"],
                level=p["level"],
                coefficient=Decimal(p["coefficient"]),
                advice=words.get("advice", ""),
            )
        )
    return seeds


def merge_memorandum(session: Session, actor: Actor, placement_id: object, *, now: dt.datetime) -> RiskRegister:
    """A risk evaluator takes the acknowledged MoU into the risk register (``risk.merge_settled``)."""
    placement, cons, memo = final_memorandum(session, actor, placement_id)
    return risk.merge_settled(
        session, actor, placement.id, settled_seeds(session, cons, memo), source_number=memo.number, now=now
    )


# ---- the insurer rates the premium on the MoU -------------------------------------------------------


def mou_points(session: Session, placement: Placement, seeds: list[risk.SeedPoint]) -> list[risk_pricing.PricedPoint]:
    """The MoU's points priced with the insured's decisions in the register (a point it has not decided on
    — one only the insurer's adjuster found — is priced as undecided, like an accepted loading)."""
    choices = {p.ref: p.choice for p in risk.points_of(session, placement.id)}
    return [risk_pricing.PricedPoint(s.ref, s.coefficient, choices.get(s.ref, "undecided")) for s in seeds]


def premium(session: Session, actor: Actor, placement_id: object) -> tuple[Consultation, risk_pricing.Prices]:
    """The premium the consultation's insurer rates on the MoU: its own published products, the placement's
    sections and period, the MoU's settled loadings. Read by that insurer, the broker and the insured."""
    placement, cons, memo = final_memorandum(session, actor, placement_id)
    sides = case_service.participant_roles(session, case_of(session, placement), actor.org_id)
    if actor.org_id != cons.insurer_id and not sides & {PartyRole.BROKER, PartyRole.INSURED}:
        raise ActionNotAllowed()
    own = select(InsurerProduct).where(
        InsurerProduct.status == ProductStatus.PUBLISHED, InsurerProduct.insurer_id == cons.insurer_id
    )
    catalogue = list(session.execute(own.order_by(InsurerProduct.code)).unique().scalars())
    return cons, risk_pricing.quote(
        catalogue,
        lines=list(placement.lines or []),
        sections=risk_pricing.sections_of(placement.subject or {}),
        start=placement.period_start,
        end=placement.period_end,
        points=mou_points(session, placement, settled_seeds(session, cons, memo)),
    )
