"""The risk register part of the placement's case file (R-U4, ``placements/_risk.html``): the broker's
risk evaluator draws the register up from the submitted pre-assessment report, changes levels and
loading coefficients with a reason, writes advice and publishes it; the insured decides per risk point
with each choice's price beside it, until the account manager takes the placement to market (the case
file's own form). Every write goes through :mod:`tandem.placement.risk`; errors show beside the fields.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.deps import ClockDep, SessionDep
from tandem.kit.clock import Clock, local_day
from tandem.kit.errors import NotFound, TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.placement import risk
from tandem.placement import service as placement_service
from tandem.placement.models import Placement, PlacementStatus
from tandem.placement.risk_models import RegisterChange, RegisterPoint, RemediationTask, RiskRegister
from tandem.placement.risk_pricing import Effect, Prices
from tandem.report.schemas import RISK_LEVELS
from tandem.web import forms
from tandem.web.claims import FormDep
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor
from tandem.web.placements import NOTICES, PANELS, done, page

router = APIRouter(include_in_schema=False)
ANCHOR = "risk"
BAD_DATE = N_("Enter a date as YYYY-MM-DD.")  # the same msgid as the other forms'

NOTICES.update(
    {
        "risk_seeded": N_("The risk register is drawn up from the pre-assessment report."),
        "risk_refreshed": N_("The register follows the corrected report now; review the points it changed."),
        "risk_point": N_("The risk point was changed; the reason is on the record."),
        "risk_advice": N_("The risk-management advice was saved."),
        "risk_published": N_("The risk register is published: the insured decides now."),
        "decisions": N_("Your decisions were saved. You can change them until the placement goes to market."),
    }
)


@dataclasses.dataclass(frozen=True)
class HistoryRow:
    change: RegisterChange
    by: str


@dataclasses.dataclass(frozen=True)
class PointRow:
    n: int  # the row's index on the page (form field names and element ids; refs may hold any character)
    point: RegisterPoint
    history: list[HistoryRow]
    effect: Effect | None
    task: RemediationTask | None

    @property
    def changed(self) -> bool:
        p = self.point
        return (p.level, p.coefficient) != (p.proposed_level, p.proposed_coefficient)


@dataclasses.dataclass(frozen=True)
class RiskPanel:
    """What ``placements/_risk.html`` shows this actor."""

    register: RiskRegister | None
    rows: list[PointRow]
    tasks: list[RemediationTask]
    prices: Prices | None
    price_detail: bool  # every fitting product's figures (the broker)
    report_number: str | None  # the submitted pre-assessment report the register would be drawn from
    correction: str | None  # the number of a correction of the register's report not yet taken in
    can_seed: bool
    can_review: bool
    can_publish: bool
    can_decide: bool
    frozen: bool
    today: dt.date
    levels: tuple[str, ...] = RISK_LEVELS

    @property
    def shown(self) -> bool:
        return self.register is not None or self.can_seed


def _rows(session: Session, register: RiskRegister, prices: Prices | None) -> list[PointRow]:
    changes = risk.changes_of(session, register.case_id)
    names = risk.user_names(session, {c.by_user_id for c in changes})
    tasks = {t.point_id: t for t in risk.tasks_of(session, register.case_id)}
    effects = {e.ref: e for e in prices.effects} if prices else {}
    return [
        PointRow(
            n,
            p,
            [HistoryRow(c, names.get(c.by_user_id, "")) for c in changes if c.point_id == p.id],
            effects.get(p.ref) if prices and prices.totals else None,
            tasks.get(p.id),
        )
        for n, p in enumerate(risk.points_of(session, register.case_id))
    ]


def _evaluator(session: Session, actor: Actor, placement: Placement) -> bool:
    return actor.has_any(risk.EVALUATOR) and risk.is_broker(session, actor, placement) and not actor.read_only


def _report_number(session: Session, placement: Placement) -> str | None:
    report = risk.current_report(session, placement)
    return report.display_number if report else None


def panel(session: Session, actor: Actor, placement: Placement, now: dt.datetime, locale: str) -> dict[str, Any]:
    """The context of ``placements/_risk.html`` (registered in the case file's ``PANELS``)."""
    register = risk.register_of(session, placement.id)
    broker = risk.is_broker(session, actor, placement)
    if register is not None and register.published_at is None and not broker:
        register = None  # not published yet: not there for the other parties
    evaluator = _evaluator(session, actor, placement)
    prices = None
    if register is not None and risk.may_see_prices(session, actor, placement):
        prices = risk.prices(session, actor, placement.id)[1]
    status = placement.status
    reviewing = evaluator and register is not None and status in risk.REVIEW_STATES
    allowed = placement_service.allowed(session, actor, placement) if not actor.read_only else set()
    report_number = _report_number(session, placement) if evaluator and register is None else None
    corrected = risk.corrected_report(session, placement, register) if reviewing and register else None
    return {
        "risk": RiskPanel(
            register=register,
            rows=_rows(session, register, prices) if register is not None else [],
            tasks=risk.tasks_of(session, placement.id) if register is not None else [],
            prices=prices,
            price_detail=broker,
            report_number=report_number,
            correction=corrected.display_number if corrected else None,
            can_seed=evaluator and register is None and status == PlacementStatus.REPORTED and bool(report_number),
            can_review=reviewing,
            can_publish=reviewing and "publish_register" in allowed,
            can_decide=register is not None
            and status == PlacementStatus.DECIDING
            and actor.has_any(risk.INSURED_CONTACT)
            and not broker,
            frozen=status == PlacementStatus.TO_MARKET,
            today=local_day(now),
        )
    }


PANELS.append(panel)


# ---- the forms ----------------------------------------------------------------------------------------


def _failed(
    request: Request,
    actor: Actor,
    session: Session,
    clock: Clock,
    placement_id: str,
    exc: TandemError,
    name: str,
    state: FormState,
    rename: Mapping[str, str] | None = None,
    default: str = "",
) -> Response:
    """A service refused: roll back and show the file again, each field's message beside it (a refusal
    that names no field as the page's alert)."""
    session.rollback()
    alert: object = None
    if exc.fields:
        for field, message in exc.fields.items():
            state.errors[(rename or {}).get(field, field)] = message
    elif exc.status == 422 and default:
        state.errors[default] = exc
    else:
        alert = exc
    return page(request, actor, session, clock, placement_id, states={name: state}, alert=alert, status=exc.status)


@router.post("/placements/{placement_id}/risk/seed")
def seed(placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep) -> Response:
    try:
        risk.seed_from_report(session, actor, placement_id, now=clock.now())
    except TandemError as exc:
        return _failed(request, actor, session, clock, placement_id, exc, "risk-seed", FormState())
    return done(placement_id, "risk_seeded", ANCHOR)


@router.post("/placements/{placement_id}/risk/refresh")
def refresh(placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep) -> Response:
    try:
        risk.refresh_from_report(session, actor, placement_id, now=clock.now())
    except TandemError as exc:
        return _failed(request, actor, session, clock, placement_id, exc, "risk-refresh", FormState())
    return done(placement_id, "risk_refreshed", ANCHOR)


@router.post("/placements/{placement_id}/risk/point")
def change_point(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """One point's level and coefficient (with the reason) and its advice, from the evaluator's form."""
    names = ("ref", "level", "coefficient", "reason", "advice", "version")
    state = FormState(values={n: forms.text(form, n, REASON_MAX) for n in names})
    v = state.values
    name = f"risk-point-{v['ref']}"
    try:
        point = _point_of(session, actor, placement_id, v["ref"])
        if _figures_changed(point, v["level"], v["coefficient"]):
            version = int(v["version"]) if v["version"].isdigit() else None
            risk.assess(
                session,
                actor,
                placement_id,
                v["ref"],
                level=v["level"] or None,
                coefficient=v["coefficient"] or None,
                reason=v["reason"],
                version=version,
                now=clock.now(),
            )
        if v["advice"] != point.advice:
            risk.advise(session, actor, placement_id, v["ref"], v["advice"], now=clock.now())
    except TandemError as exc:
        return _failed(request, actor, session, clock, placement_id, exc, name, state, default="coefficient")
    return done(placement_id, "risk_point", ANCHOR)


def _figures_changed(point: RegisterPoint, level: str, coefficient: str) -> bool:
    """Whether the form changes the level or the coefficient (1.15 is 1.1500; bad input goes to the service)."""
    if level and level != point.level:
        return True
    if not coefficient:
        return False
    try:
        return Decimal(coefficient) != point.coefficient
    except InvalidOperation:
        return True


def _point_of(session: Session, actor: Actor, placement_id: str, ref: str) -> RegisterPoint:
    _placement, register = risk.readable_register(session, actor, placement_id)
    for p in risk.points_of(session, register.case_id):
        if p.ref == ref:
            return p
    raise NotFound()


@router.post("/placements/{placement_id}/risk/advice")
def register_advice(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    state = FormState(values={"advice": forms.text(form, "advice", REASON_MAX)})
    try:
        risk.advise(session, actor, placement_id, None, state.values["advice"], now=clock.now())
    except TandemError as exc:
        return _failed(request, actor, session, clock, placement_id, exc, "risk-advice", state, default="advice")
    return done(placement_id, "risk_advice", ANCHOR)


@router.post("/placements/{placement_id}/risk/publish")
def publish(placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep) -> Response:
    try:
        risk.publish(session, actor, placement_id, now=clock.now())
    except TandemError as exc:  # e.g. a coefficient below 1: the message names what to review
        session.rollback()
        return page(request, actor, session, clock, placement_id, alert=exc, status=exc.status)
    return done(placement_id, "risk_published", ANCHOR)


def read_decisions(form: Mapping[str, Any], state: FormState) -> tuple[list[risk.Decision], dict[str, str]]:
    """The rows of the decision form that carry a choice, as decisions; ``rename`` maps the service's
    field paths (``decisions[0].committed_date``) back to the form's (``committed_date.3``)."""
    decisions: list[risk.Decision] = []
    rename: dict[str, str] = {}
    for n in range(500):
        ref = forms.text(form, f"ref.{n}", 20)
        if not ref:
            break
        choice = forms.text(form, f"choice.{n}", 20)
        typed = forms.text(form, f"committed_date.{n}", 20)
        state.values.update({f"choice.{n}": choice, f"committed_date.{n}": typed})
        if not choice:
            continue
        date = None
        if typed:
            try:
                date = dt.date.fromisoformat(typed)
            except ValueError:
                state.errors[f"committed_date.{n}"] = BAD_DATE
        i = len(decisions)
        rename.update({f"decisions[{i}].{k}": f"{k}.{n}" for k in ("ref", "choice", "committed_date")})
        decisions.append(risk.Decision(ref, choice, date))
    return decisions, rename


@router.post("/placements/{placement_id}/risk/decisions")
def decide(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """The insured's decisions (one form for every risk point; rows left without a choice stay as they are)."""
    state = FormState()
    decisions, rename = read_decisions(form, state)
    now = clock.now()
    today = local_day(now)
    try:
        if state.errors:  # typing errors first; the service's checks add what else is wrong
            checked = risk.check_decisions(decisions, {d.ref for d in decisions}, today)
            state.errors = {**{rename.get(k, k): m for k, m in checked.items()}, **state.errors}
            return page(request, actor, session, clock, placement_id, states={"risk-decisions": state}, status=422)
        risk.decide(session, actor, placement_id, decisions, today=today, now=now)
    except TandemError as exc:
        return _failed(request, actor, session, clock, placement_id, exc, "risk-decisions", state, rename)
    return done(placement_id, "decisions", ANCHOR)
