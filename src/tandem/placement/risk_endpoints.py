"""Risk register API (风险登记册, R-U4): the register and its history, the evaluators' review, publishing,
the insured's decisions and their prices.

``/api/v1/placements/{id}/risk-register`` — GET (broker always; the other parties once published, 404
before), POST (draw it up from the submitted pre-assessment report; a broker's risk evaluator),
``/risk-register/points/{ref}`` PATCH (level, coefficient with a reason; advice), ``/risk-register/advice``
PUT, ``/risk-register/publish`` POST. ``/decisions`` GET and PUT (the insured; 409 after to_market).
``/prices`` GET (the broker, and the insured once published): totals and each choice's price.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.kit.clock import today_local
from tandem.kit.limits import REASON_MAX
from tandem.placement import risk
from tandem.placement.models import PlacementStatus
from tandem.placement.risk_models import RegisterChange, RegisterPoint, RemediationTask, RiskRegister
from tandem.placement.risk_pricing import Effect, LineQuote, Prices, ProductQuote, Totals
from tandem.schemas import Date, MoneyOut, RateOut, Strict

router = APIRouter(prefix="/api/v1/placements", tags=["placements"])
READ: dict[int | str, dict[str, Any]] = {404: {"description": "Not found (or not yours, or not published yet)"}}
WRITE: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed"},
    409: {"description": "Not in this state (e.g. gone to market), or changed meanwhile"},
    422: {"description": "Invalid field (named)"},
    **READ,
}
Reason = Annotated[str, Field(max_length=REASON_MAX)]


class ChangeOut(BaseModel):
    kind: str = Field(description="seeded | refreshed | assessed | advised | decided")
    before: dict[str, Any] | None
    after: dict[str, Any]
    reason: str | None
    by: str
    at: dt.datetime


class PointOut(BaseModel):
    ref: str
    title: str
    description: str
    location: str
    proposed_level: str = Field(description="the adjuster's level (低/中/高/重大)")
    proposed_coefficient: RateOut
    adjuster_advice: str
    level: str
    coefficient: RateOut = Field(description="loading coefficient: 1.1500 = +15 %")
    advice: str = Field(description="the broker's risk-management advice (风险管理建议)")
    choice: str = Field(description="undecided | remediate | premium")
    committed_date: dt.date | None
    decided_at: dt.datetime | None
    version: int
    history: list[ChangeOut]


class TaskOut(BaseModel):
    ref: str
    title: str
    due_date: dt.date
    status: str = Field(description="open | done | cancelled")
    closed_at: dt.datetime | None


class RegisterOut(BaseModel):
    placement_id: uuid.UUID
    status: PlacementStatus
    source: str
    source_number: str
    advice: str
    seeded_at: dt.datetime
    published_at: dt.datetime | None
    version: int
    points: list[PointOut]
    tasks: list[TaskOut]


class PointPatch(Strict):
    """Change a point: level and/or coefficient (a reason is required), and/or the advice."""

    level: Annotated[str, Field(max_length=8)] | None = None
    coefficient: Annotated[str, Field(max_length=20, description="decimal string, 1 to 10, 4 places")] | None = None
    reason: Reason | None = None
    advice: Reason | None = None
    version: int | None = Field(default=None, description="the point's version read; 409 if it changed since")


class AdviceIn(Strict):
    advice: Reason


class DecisionIn(Strict):
    ref: Annotated[str, Field(min_length=1, max_length=20)]
    choice: Annotated[str, Field(max_length=12, description="remediate | premium")]
    committed_date: Date | None = Field(default=None, description="required for remediate; not in the past")


class DecisionsIn(Strict):
    decisions: Annotated[list[DecisionIn], Field(min_length=1, max_length=500)]


class DecisionOut(BaseModel):
    ref: str
    title: str
    level: str
    coefficient: RateOut
    choice: str
    committed_date: dt.date | None
    decided_at: dt.datetime | None


class DecisionsOut(BaseModel):
    status: PlacementStatus
    open_for_decisions: bool
    decisions: list[DecisionOut]
    tasks: list[TaskOut]


class TotalsOut(BaseModel):
    now: MoneyOut
    all_remediated: MoneyOut
    none_remediated: MoneyOut


class EffectOut(BaseModel):
    ref: str
    choice: str
    premium_effect: MoneyOut = Field(description="the engine's premium_effect: accept − remediate")
    total_if_premium: MoneyOut
    total_if_remediate: MoneyOut


class ProductQuoteOut(BaseModel):
    code: str
    name: str
    insurer: str
    totals: TotalsOut | None
    error: str | None


class LineOut(BaseModel):
    line: str
    sections: list[str]
    chosen: str | None = Field(description="code of the product the programme takes for this line")
    products: list[ProductQuoteOut] | None = Field(description="every fitting product (the broker only)")


class PricesOut(BaseModel):
    currency: str
    basis: str
    totals: TotalsOut | None
    effects: list[EffectOut]
    lines: list[LineOut]
    unpriced_sections: list[str]


BASIS = "per line, the fitting product cheapest as decided now, kept for all three totals"


# ---- outputs -----------------------------------------------------------------------------------------


def task_out(t: RemediationTask) -> TaskOut:
    return TaskOut(ref=t.ref, title=t.title, due_date=t.due_date, status=t.status, closed_at=t.closed_at)


def _change_out(c: RegisterChange, names: dict[uuid.UUID, str]) -> ChangeOut:
    return ChangeOut(
        kind=c.kind, before=c.before, after=c.after, reason=c.reason, by=names.get(c.by_user_id, ""), at=c.at
    )


def _point_out(p: RegisterPoint, history: list[ChangeOut]) -> PointOut:
    return PointOut(
        ref=p.ref,
        title=p.title,
        description=p.description,
        location=p.location,
        proposed_level=p.proposed_level,
        proposed_coefficient=p.proposed_coefficient,
        adjuster_advice=p.adjuster_advice,
        level=p.level,
        coefficient=p.coefficient,
        advice=p.advice,
        choice=p.choice,
        committed_date=p.committed_date,
        decided_at=p.decided_at,
        version=p.version,
        history=history,
    )


def register_out(session: Session, status: PlacementStatus, register: RiskRegister) -> RegisterOut:
    changes = risk.changes_of(session, register.case_id)
    names = risk.user_names(session, {c.by_user_id for c in changes})
    by_point: dict[uuid.UUID, list[ChangeOut]] = {}
    for c in changes:
        by_point.setdefault(c.point_id, []).append(_change_out(c, names))
    return RegisterOut(
        placement_id=register.case_id,
        status=status,
        source=register.source,
        source_number=register.source_number,
        advice=register.advice,
        seeded_at=register.seeded_at,
        published_at=register.published_at,
        version=register.version,
        points=[_point_out(p, by_point.get(p.id, [])) for p in risk.points_of(session, register.case_id)],
        tasks=[task_out(t) for t in risk.tasks_of(session, register.case_id)],
    )


def decisions_out(session: Session, status: PlacementStatus, case_id: uuid.UUID) -> DecisionsOut:
    return DecisionsOut(
        status=status,
        open_for_decisions=status == PlacementStatus.DECIDING,
        decisions=[
            DecisionOut(
                ref=p.ref,
                title=p.title,
                level=p.level,
                coefficient=p.coefficient,
                choice=p.choice,
                committed_date=p.committed_date,
                decided_at=p.decided_at,
            )
            for p in risk.points_of(session, case_id)
        ],
        tasks=[task_out(t) for t in risk.tasks_of(session, case_id)],
    )


def _totals(t: Totals | None) -> TotalsOut | None:
    return (
        None if t is None else TotalsOut(now=t.now, all_remediated=t.all_remediated, none_remediated=t.none_remediated)
    )


def _effect(e: Effect) -> EffectOut:
    return EffectOut(
        ref=e.ref,
        choice=e.choice,
        premium_effect=e.premium_effect,
        total_if_premium=e.total_if_premium,
        total_if_remediate=e.total_if_remediate,
    )


def _quote(q: ProductQuote) -> ProductQuoteOut:
    return ProductQuoteOut(code=q.code, name=q.name, insurer=q.insurer, totals=_totals(q.totals), error=q.error)


def _line(lq: LineQuote, detail: bool) -> LineOut:
    return LineOut(
        line=lq.line,
        sections=list(lq.sections),
        chosen=lq.chosen.code if lq.chosen else None,
        products=[_quote(q) for q in lq.quotes] if detail else None,
    )


def prices_out(p: Prices, *, detail: bool) -> PricesOut:
    """The prices; ``detail`` (the broker) adds every fitting product's figures, which come from the
    insurers' rates an insured does not read."""
    return PricesOut(
        currency=p.currency,
        basis=BASIS,
        totals=_totals(p.totals),
        effects=[_effect(e) for e in p.effects],
        lines=[_line(lq, detail) for lq in p.lines],
        unpriced_sections=list(p.unpriced_sections),
    )


def _register(session: Session, actor: Actor, placement_id: str) -> RegisterOut:
    placement, register = risk.readable_register(session, actor, placement_id)
    return register_out(session, placement.status, register)


# ---- routes ------------------------------------------------------------------------------------------


@router.get("/{placement_id}/risk-register", response_model=RegisterOut, responses=READ)
def get_register(placement_id: str, actor: ActorDep, session: SessionDep) -> RegisterOut:
    """The register with each point's history (reasons kept) and the remediation tasks."""
    return _register(session, actor, placement_id)


@router.post("/{placement_id}/risk-register", response_model=RegisterOut, status_code=201, responses=WRITE)
def seed_register(placement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> RegisterOut:
    """Draw up the register from the submitted pre-assessment report (a broker's risk evaluator)."""
    risk.seed_from_report(session, actor, placement_id, now=clock.now())
    return _register(session, actor, placement_id)


@router.post("/{placement_id}/risk-register/refresh", response_model=RegisterOut, responses=WRITE)
def refresh_register(placement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> RegisterOut:
    """Take in the correction (-R1 …) of the report the register was drawn up from (409 when none)."""
    risk.refresh_from_report(session, actor, placement_id, now=clock.now())
    return _register(session, actor, placement_id)


@router.patch("/{placement_id}/risk-register/points/{ref}", response_model=RegisterOut, responses=WRITE)
def change_point(
    placement_id: str, ref: str, body: PointPatch, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> RegisterOut:
    """Change a point's level and/or loading coefficient (reason required, kept), and/or its advice."""
    now = clock.now()
    if body.level is not None or body.coefficient is not None:
        risk.assess(
            session,
            actor,
            placement_id,
            ref,
            level=body.level,
            coefficient=body.coefficient,
            reason=body.reason,
            version=body.version,
            now=now,
        )
    if body.advice is not None:
        risk.advise(session, actor, placement_id, ref, body.advice, now=now)
    return _register(session, actor, placement_id)


@router.put("/{placement_id}/risk-register/advice", response_model=RegisterOut, responses=WRITE)
def register_advice(
    placement_id: str, body: AdviceIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> RegisterOut:
    """The register's overall risk-management advice (风险管理建议)."""
    risk.advise(session, actor, placement_id, None, body.advice, now=clock.now())
    return _register(session, actor, placement_id)


@router.post("/{placement_id}/risk-register/publish", response_model=RegisterOut, responses=WRITE)
def publish_register(placement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> RegisterOut:
    """Publish the register to the insured: the placement moves to ``deciding``."""
    risk.publish(session, actor, placement_id, now=clock.now())
    return _register(session, actor, placement_id)


@router.get("/{placement_id}/decisions", response_model=DecisionsOut, responses=READ)
def get_decisions(placement_id: str, actor: ActorDep, session: SessionDep) -> DecisionsOut:
    placement, _register = risk.readable_register(session, actor, placement_id)
    return decisions_out(session, placement.status, placement.id)


@router.put("/{placement_id}/decisions", response_model=DecisionsOut, responses=WRITE)
def put_decisions(
    placement_id: str, body: DecisionsIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> DecisionsOut:
    """The insured decides on some or all points (all or nothing): ``remediate`` with a committed date,
    or ``premium`` (accept the loading). Changeable until the placement goes to market (409 after)."""
    decisions = [risk.Decision(d.ref, d.choice, d.committed_date) for d in body.decisions]
    risk.decide(session, actor, placement_id, decisions, today=today_local(clock), now=clock.now())
    placement, _register = risk.readable_register(session, actor, placement_id)
    return decisions_out(session, placement.status, placement.id)


@router.get("/{placement_id}/prices", response_model=PricesOut, responses={403: {"description": "Not allowed"}, **READ})
def get_prices(placement_id: str, actor: ActorDep, session: SessionDep) -> PricesOut:
    """Each choice's price (the engine's ``premium_effect``) and the total now, if everything were
    remediated and if nothing were, from the indicative rates of the products that fit."""
    placement, prices = risk.prices(session, actor, placement_id)
    return prices_out(prices, detail=risk.is_broker(session, actor, placement))
