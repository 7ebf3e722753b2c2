"""The placement's risk register (风险登记册) and the insured's choices (R-U4).

The broker's risk evaluators (风险评价部门) seed the register from the submitted pre-assessment report
(预评估报告; later from an MoU through :func:`seed_register`), may change a risk point's level and
loading coefficient with a reason that stays on the record, write risk-management advice (风险管理建议)
and publish the register to the insured (placement ``reported`` → ``deciding``). For every risk point
the insured decides: remediate (整改) by a committed date — a remediation task that later staged
reports check — or accept the loading (接受加费). Decisions change freely until the placement goes to
market; then they are frozen (409). Every change is a history row (never updated or deleted) and an
audit event on the case's chain, in the same transaction.

Who reads: the broker always; the other parties on the case once the register is published (before,
it does not exist for them: 404).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Role, User
from tandem.case import service as case_service
from tandem.claim.models import PartyRole
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound, StateChanged
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.kit.workdays import add_working_days
from tandem.party.models import InsurerProduct, ProductStatus
from tandem.placement import risk_pricing
from tandem.placement import service as placement_service
from tandem.placement.models import Placement, PlacementStatus
from tandem.placement.risk_guard import NOT_SEEDED
from tandem.placement.risk_models import (
    RegisterChange,
    RegisterPoint,
    RemediationTask,
    RiskChoice,
    RiskRegister,
    TaskStatus,
)
from tandem.report.models import Report
from tandem.report.schemas import RISK_LEVELS
from tandem.report.schemas import coefficient as parse_coefficient
from tandem.report.service import latest_report
from tandem.sla import calendar

# What can be wrong (msgids: the pages show them translated beside the field, the API in English).
REQUIRED = N_("Required.")
TOO_LONG = N_("Too long.")
NOT_A_LEVEL = N_("Choose a level: 低, 中, 高 or 重大.")
BAD_COEFFICIENT = N_("Enter a coefficient from 1 to 10 with at most 4 decimals (1.1500 = +15 %).")
REASON_NEEDED = N_("Give the reason for changing the adjuster's figure.")
NOTHING_CHANGED = N_("Neither the level nor the coefficient changed.")
BAD_CHOICE = N_("Choose remediate or accept the loading.")
DATE_NEEDED = N_("Give the date by which the risk point will be remediated.")
DATE_PAST = N_("The committed date must not be in the past.")
UNKNOWN_POINT = N_("Not a risk point of this register.")
TWICE = N_("Listed twice.")
NOT_SAVED = N_("Nothing was saved: correct the fields named.")
NO_REPORT = N_("No pre-assessment report has been submitted yet.")
ALREADY_SEEDED = N_("The risk register has already been drawn up.")
NOTHING_CORRECTED = N_("The report has not been corrected since the register was drawn up.")
NOT_REVIEWING = N_("The risk register is changed only before the placement goes to market.")
NOT_DECIDING = N_("Decisions are taken once the risk register is published and until the placement goes to market.")

#: The insured's working days to decide, from publication (the ``risk_decisions`` deadline).
DECISION_WORKING_DAYS = 10
#: Register changes are possible in these states (after ``to_market`` the register is frozen).
REVIEW_STATES = frozenset({PlacementStatus.REPORTED, PlacementStatus.DECIDING})
BROKER_ONLY = [PartyRole.BROKER.value]
BROKER_AND_INSURED = [PartyRole.BROKER.value, PartyRole.INSURED.value]
EVALUATOR = frozenset({Role.BROKER_RISK_EVALUATOR})
INSURED_CONTACT = frozenset({Role.INSURED_CONTACT})
ONE = Decimal(1)


@dataclass(frozen=True)
class SeedPoint:
    """A risk point as a source states it (a report's ``risk_points`` entry, an MoU's settled point)."""

    ref: str
    title: str
    description: str
    location: str
    level: str
    coefficient: Decimal
    advice: str = ""


@dataclass(frozen=True)
class Decision:
    """One decision as typed: ``ref`` of the point, ``choice`` remediate|premium, the committed date."""

    ref: str
    choice: str
    committed_date: dt.date | None = None


# ---- reading ---------------------------------------------------------------------------------------


def register_of(session: Session, case_id: uuid.UUID) -> RiskRegister | None:
    return session.get(RiskRegister, case_id)


def points_of(session: Session, case_id: uuid.UUID) -> list[RegisterPoint]:
    stmt = select(RegisterPoint).where(RegisterPoint.case_id == case_id).order_by(RegisterPoint.position)
    return list(session.execute(stmt).scalars())


def changes_of(session: Session, case_id: uuid.UUID) -> list[RegisterChange]:
    """Every change of the register's points, oldest first."""
    stmt = select(RegisterChange).where(RegisterChange.case_id == case_id).order_by(RegisterChange.at)
    return list(session.execute(stmt).scalars())


def tasks_of(session: Session, case_id: uuid.UUID, status: TaskStatus | None = None) -> list[RemediationTask]:
    """The remediation tasks (整改任务), by due date."""
    stmt = select(RemediationTask).where(RemediationTask.case_id == case_id)
    if status is not None:
        stmt = stmt.where(RemediationTask.status == status.value)
    return list(session.execute(stmt.order_by(RemediationTask.due_date, RemediationTask.ref)).scalars())


def user_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Display names of the users who changed the register (its history shows who)."""
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    return {uid: name for uid, name in rows}


def is_broker(session: Session, actor: Actor, placement: Placement) -> bool:
    case = placement_service.case_of(session, placement)
    return PartyRole.BROKER in case_service.participant_roles(session, case, actor.org_id)


def readable_register(session: Session, actor: Actor, placement_id: object) -> tuple[Placement, RiskRegister]:
    """The placement and its register as the actor may read them: 404 when the placement is not the
    actor's, when there is no register yet, or (for anybody but the broker) before it is published."""
    placement = placement_service.get_placement(session, actor, placement_id)
    register = register_of(session, placement.id)
    if register is None:
        raise NotFound()
    if register.published_at is None and not is_broker(session, actor, placement):
        raise NotFound()
    return placement, register


def may_see_prices(session: Session, actor: Actor, placement: Placement) -> bool:
    """Prices come from insurers' rates: the broker and the insured see them, nobody else."""
    roles = case_service.participant_roles(session, placement_service.case_of(session, placement), actor.org_id)
    return bool(roles & {PartyRole.BROKER, PartyRole.INSURED})


def priced_points(points: Sequence[RegisterPoint]) -> list[risk_pricing.PricedPoint]:
    return [risk_pricing.PricedPoint(p.ref, p.coefficient, p.choice) for p in points]


def prices(session: Session, actor: Actor, placement_id: object) -> tuple[Placement, risk_pricing.Prices]:
    """The price of the insured's choices (see :mod:`tandem.placement.risk_pricing`), for the broker and
    (once the register is published) the insured; 403 for the other parties on the case."""
    placement, _register = readable_register(session, actor, placement_id)
    if not may_see_prices(session, actor, placement):
        raise ActionNotAllowed()
    published = select(InsurerProduct).where(InsurerProduct.status == ProductStatus.PUBLISHED)
    catalogue = list(session.execute(published.order_by(InsurerProduct.code)).unique().scalars())
    return placement, risk_pricing.quote(
        catalogue,
        lines=list(placement.lines or []),
        sections=risk_pricing.sections_of(placement.subject or {}),
        start=placement.period_start,
        end=placement.period_end,
        points=priced_points(points_of(session, placement.id)),
    )


# ---- guards ----------------------------------------------------------------------------------------


def _side(session: Session, actor: Actor, placement: Placement, side: PartyRole, roles: frozenset[Role]) -> None:
    """The actor holds one of ``roles`` and its organisation the ``side`` on the case; else 403."""
    case = placement_service.case_of(session, placement)
    if not actor.has_any(roles) or side not in case_service.participant_roles(session, case, actor.org_id):
        raise ActionNotAllowed()


def _evaluator(session: Session, actor: Actor, placement_id: object) -> tuple[Placement, RiskRegister]:
    placement = placement_service.get_placement(session, actor, placement_id)
    _side(session, actor, placement, PartyRole.BROKER, EVALUATOR)
    if placement.status not in REVIEW_STATES:
        raise Conflict(NOT_REVIEWING)
    register = register_of(session, placement.id)
    if register is None:
        raise Conflict(NOT_SEEDED)
    return placement, register


def _point(session: Session, register: RiskRegister, ref: str) -> RegisterPoint:
    point = session.execute(
        select(RegisterPoint).where(RegisterPoint.case_id == register.case_id, RegisterPoint.ref == ref)
    ).scalar_one_or_none()
    if point is None:
        raise NotFound()
    return point


def _state(point: RegisterPoint) -> dict[str, Any]:
    """What a history row keeps of a point."""
    return {
        "level": point.level,
        "coefficient": format(point.coefficient, "f"),
        "advice": point.advice,
        "choice": point.choice,
        "committed_date": point.committed_date.isoformat() if point.committed_date else None,
    }


def _record(
    session: Session,
    actor: Actor,
    placement: Placement,
    point: RegisterPoint,
    kind: str,
    before: dict[str, Any] | None,
    *,
    now: dt.datetime,
    reason: str | None = None,
    audience: list[str],
) -> None:
    """A history row and the audit event ``risk_register.<kind>`` on the case's chain."""
    after = _state(point)
    session.add(
        RegisterChange(
            case_id=placement.id,
            point_id=point.id,
            kind=kind,
            before=before,
            after=after,
            reason=reason,
            by_user_id=actor.user_id,
            at=now,
        )
    )
    case_service.record_event(
        session,
        actor,
        placement_service.case_of(session, placement),
        f"risk_register.{kind}",
        now=now,
        after={"ref": point.ref, **after, **({"before": before} if before else {})},
        reason=reason,
        audience=audience,
    )


def _audience(register: RiskRegister) -> list[str]:
    return BROKER_ONLY if register.published_at is None else BROKER_AND_INSURED


# ---- seeding ---------------------------------------------------------------------------------------


def seed_points_of_report(report: Report) -> list[SeedPoint]:
    """The risk points of a submitted 《预评估报告》 (its content was validated on submission)."""
    return [
        SeedPoint(
            ref=str(rp["ref"]),
            title=rp["title"],
            description=rp["description"],
            location=rp["location"],
            level=rp["level"],
            coefficient=Decimal(str(rp["coefficient"])),
            advice=rp.get("advice", ""),
        )
        for rp in report.content.get("risk_points", [])
    ]


def _add_point(
    session: Session, actor: Actor, placement: Placement, position: int, seed: SeedPoint, now: dt.datetime
) -> RegisterPoint:
    """A new point as its source states it, undecided, with its ``seeded`` history row."""
    point = RegisterPoint(
        case_id=placement.id,
        position=position,
        ref=seed.ref,
        title=seed.title,
        description=seed.description,
        location=seed.location,
        proposed_level=seed.level,
        proposed_coefficient=seed.coefficient,
        adjuster_advice=seed.advice,
        level=seed.level,
        coefficient=seed.coefficient,
        advice="",
        choice=RiskChoice.UNDECIDED.value,
        updated_at=now,
        version=1,
    )
    session.add(point)
    session.flush()
    session.add(
        RegisterChange(
            case_id=placement.id,
            point_id=point.id,
            kind="seeded",
            before=None,
            after=_state(point),
            reason=None,
            by_user_id=actor.user_id,
            at=now,
        )
    )
    return point


def seed_register(
    session: Session,
    actor: Actor,
    placement_id: object,
    seeds: Sequence[SeedPoint],
    *,
    source: str,
    source_id: uuid.UUID | None,
    source_number: str,
    now: dt.datetime,
) -> RiskRegister:
    """Draw up the register from ``seeds`` (the entry point for any source: the pre-assessment report
    today, an MoU's settled risk points later). A risk evaluator of the broker, while the placement is
    ``reported``; once only (409 after)."""
    placement = placement_service.get_placement(session, actor, placement_id)
    _side(session, actor, placement, PartyRole.BROKER, EVALUATOR)
    if placement.status != PlacementStatus.REPORTED:
        raise Conflict(NOT_REVIEWING)
    if register_of(session, placement.id) is not None:
        raise Conflict(ALREADY_SEEDED)
    register = RiskRegister(
        case_id=placement.id,
        source=source,
        source_id=source_id,
        source_number=source_number,
        advice="",
        seeded_at=now,
        seeded_by=actor.user_id,
        version=1,
    )
    session.add(register)
    session.flush()
    for position, seed in enumerate(seeds):
        _add_point(session, actor, placement, position, seed, now)
    case_service.record_event(
        session,
        actor,
        placement_service.case_of(session, placement),
        "risk_register.seeded",
        now=now,
        after={"source": source, "source_number": source_number, "points": [s.ref for s in seeds]},
        audience=BROKER_ONLY,
    )
    session.flush()
    return register


def current_report(session: Session, placement: Placement) -> Report | None:
    """The latest version (a correction supersedes its original) of the instructed firm's pre-assessment
    report, or of the first one submitted on the case."""
    case = placement_service.case_of(session, placement)
    report = latest_report(session, case, placement.adjuster_firm_id, kind="pre_assessment")
    return report or latest_report(session, case, kind="pre_assessment")


def corrected_report(session: Session, placement: Placement, register: RiskRegister) -> Report | None:
    """The report's correction (-R1 …) submitted after the register was drawn up from it, if any."""
    if register.source != "pre_assessment":
        return None
    report = current_report(session, placement)
    return report if report is not None and report.id != register.source_id else None


def seed_from_report(session: Session, actor: Actor, placement_id: object, *, now: dt.datetime) -> RiskRegister:
    """Draw up the register from the latest submitted pre-assessment report of the instructed firm."""
    placement = placement_service.get_placement(session, actor, placement_id)
    report = current_report(session, placement)
    if report is None:
        raise Conflict(NO_REPORT)
    return seed_register(
        session,
        actor,
        placement.id,
        seed_points_of_report(report),
        source="pre_assessment",
        source_id=report.id,
        source_number=report.display_number,
        now=now,
    )


def refresh_from_report(session: Session, actor: Actor, placement_id: object, *, now: dt.datetime) -> RiskRegister:
    """Take in the correction of the report the register was drawn up from (a risk evaluator, until the
    placement goes to market): each point keeps its ref; its wording and the adjuster's figures follow
    the correction, and so do the register's figures unless an evaluator had changed them; new points
    are added undecided. A point the correction no longer lists stays (its history cannot go) and is
    named in the audit event for the evaluators to review."""
    placement, register = _evaluator(session, actor, placement_id)
    report = corrected_report(session, placement, register)
    if report is None:
        raise Conflict(NOTHING_CORRECTED)
    seeds = seed_points_of_report(report)
    dropped = _merge(session, actor, placement, register, seeds, "refreshed", report.display_number, now=now)
    register.source_id, register.source_number = report.id, report.display_number
    register.version += 1
    case_service.record_event(
        session,
        actor,
        placement_service.case_of(session, placement),
        "risk_register.source_corrected",
        now=now,
        after={"source_number": report.display_number, "not_in_report": dropped},
        audience=_audience(register),
    )
    session.flush()
    return register


def _merge(
    session: Session,
    actor: Actor,
    placement: Placement,
    register: RiskRegister,
    seeds: Sequence[SeedPoint],
    kind: str,
    source_number: str,
    *,
    now: dt.datetime,
    settled: bool = False,
) -> list[str]:
    """Take ``seeds`` into the register point by point (by ref): the wording and the adjusters' figures
    follow the source; the register's figures too unless an evaluator had changed them — or always, when
    the source ``settled`` them (an MoU). New points are added undecided. Returns the refs the source no
    longer lists (they stay: their history cannot go)."""
    points = {p.ref: p for p in points_of(session, placement.id)}
    position = max((p.position for p in points.values()), default=-1)
    for seed in seeds:
        point = points.get(seed.ref)
        if point is None:
            position += 1
            _add_point(session, actor, placement, position, seed, now)
            continue
        before = _state(point)
        untouched = (point.level, point.coefficient) == (point.proposed_level, point.proposed_coefficient)
        point.title, point.description, point.location = seed.title, seed.description, seed.location
        point.adjuster_advice = seed.advice
        point.proposed_level, point.proposed_coefficient = seed.level, seed.coefficient
        if untouched or settled:
            point.level, point.coefficient = seed.level, seed.coefficient
        _touch(point, now)
        _record(
            session, actor, placement, point, kind, before, now=now, reason=source_number, audience=_audience(register)
        )
    return sorted(set(points) - {s.ref for s in seeds})


def merge_settled(
    session: Session,
    actor: Actor,
    placement_id: object,
    seeds: Sequence[SeedPoint],
    *,
    source_number: str,
    now: dt.datetime,
) -> RiskRegister:
    """Take an acknowledged MoU's settled risk points (R-U8) into the register instead of drawing up a
    second one (``seed_register`` refuses that): a risk evaluator, also after the placement went to market
    (the MoU is what the insurer rates). Each settled point sets the register's level and coefficient; the
    insured's decisions stay; a point only the insurer's adjuster found is added undecided."""
    placement = placement_service.get_placement(session, actor, placement_id)
    _side(session, actor, placement, PartyRole.BROKER, EVALUATOR)
    if placement.status not in (*REVIEW_STATES, PlacementStatus.TO_MARKET):
        raise Conflict(NOT_REVIEWING)
    register = register_of(session, placement.id)
    if register is None:
        raise Conflict(NOT_SEEDED)
    dropped = _merge(session, actor, placement, register, seeds, "settled", source_number, now=now, settled=True)
    register.version += 1
    case_service.record_event(
        session,
        actor,
        placement_service.case_of(session, placement),
        "risk_register.memorandum_merged",
        now=now,
        after={"source_number": source_number, "points": [s.ref for s in seeds], "not_in_memorandum": dropped},
        audience=_audience(register),
    )
    session.flush()
    return register


# ---- the evaluators' review ------------------------------------------------------------------------


def check_assessment(
    level: str | None, coefficient: str | Decimal | None, reason: str | None
) -> tuple[str | None, Decimal | None, dict[str, str]]:
    """The level and coefficient as given (None = unchanged), and the errors by field."""
    errors: dict[str, str] = {}
    value: Decimal | None = None
    if level is not None and level not in RISK_LEVELS:
        errors["level"] = NOT_A_LEVEL
    if coefficient is not None and str(coefficient).strip() != "":
        try:
            value = parse_coefficient(str(coefficient).strip())
        except ValueError:
            errors["coefficient"] = BAD_COEFFICIENT
        else:
            if value < ONE:
                errors["coefficient"] = BAD_COEFFICIENT
    if reason is not None and len(reason) > REASON_MAX:
        errors["reason"] = TOO_LONG
    return level, value, errors


def assess(
    session: Session,
    actor: Actor,
    placement_id: object,
    ref: str,
    *,
    level: str | None = None,
    coefficient: str | Decimal | None = None,
    reason: str | None = None,
    version: int | None = None,
    now: dt.datetime,
) -> RegisterPoint:
    """A risk evaluator changes a point's level and/or loading coefficient; the reason is required and
    stays on the record (the adjuster's own figures are kept beside)."""
    placement, register = _evaluator(session, actor, placement_id)
    point = _point(session, register, ref)
    new_level, new_coefficient, errors = check_assessment(level, coefficient, reason)
    if errors:
        raise InvalidInput(NOT_SAVED, fields=errors)
    new_level = new_level or point.level
    new_coefficient = new_coefficient if new_coefficient is not None else point.coefficient
    if new_level == point.level and new_coefficient == point.coefficient:
        raise InvalidInput(NOTHING_CHANGED, fields={"coefficient": NOTHING_CHANGED})
    why = (reason or "").strip()
    if not why:
        raise InvalidInput(REASON_NEEDED, fields={"reason": REASON_NEEDED})
    if version is not None and version != point.version:
        raise StateChanged()
    before = _state(point)
    point.level, point.coefficient = new_level, new_coefficient
    _touch(point, now)
    _record(session, actor, placement, point, "assessed", before, now=now, reason=why, audience=_audience(register))
    return point


def advise(
    session: Session, actor: Actor, placement_id: object, ref: str | None, advice: str, *, now: dt.datetime
) -> RiskRegister | RegisterPoint:
    """A risk evaluator writes risk-management advice (风险管理建议): on one point (``ref``), or on the
    whole register (``ref`` None)."""
    placement, register = _evaluator(session, actor, placement_id)
    text = (advice or "").strip()
    if len(text) > REASON_MAX:
        raise InvalidInput(NOT_SAVED, fields={"advice": TOO_LONG})
    if ref is None:
        before = register.advice
        register.advice = text
        register.version += 1
        session.flush()
        case_service.record_event(
            session,
            actor,
            placement_service.case_of(session, placement),
            "risk_register.register_advised",
            now=now,
            after={"advice": text, "before": before},
            audience=_audience(register),
        )
        return register
    point = _point(session, register, ref)
    before_point = _state(point)
    point.advice = text
    _touch(point, now)
    _record(session, actor, placement, point, "advised", before_point, now=now, audience=_audience(register))
    return point


def _touch(point: RegisterPoint, now: dt.datetime) -> None:
    point.updated_at = now
    point.version += 1


def publish(session: Session, actor: Actor, placement_id: object, *, now: dt.datetime) -> Placement:
    """Publish the register to the insured (``reported`` → ``deciding``) and start the insured's clock."""
    placement, register = _evaluator(session, actor, placement_id)
    placement_service.transition(
        session,
        actor,
        placement,
        "publish_register",
        now,
        after={"points": len(points_of(session, placement.id))},
        audience=BROKER_AND_INSURED,
    )
    register.published_at, register.published_by = now, actor.user_id
    register.version += 1
    case = placement_service.case_of(session, placement)
    due = add_working_days(now, DECISION_WORKING_DAYS, calendar.load(session))
    case_service.start_deadline(session, case, "risk_decisions", PartyRole.INSURED.value, now=now, due=due)
    return placement


# ---- the insured's decisions -----------------------------------------------------------------------


def check_decisions(decisions: Sequence[Decision], refs: set[str], today: dt.date) -> dict[str, str]:
    """Errors by field (``decisions[1].committed_date``), empty when every decision is good."""
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for i, d in enumerate(decisions):
        at = f"decisions[{i}]"
        if d.ref not in refs:
            errors[f"{at}.ref"] = UNKNOWN_POINT
        elif d.ref in seen:
            errors[f"{at}.ref"] = TWICE
        seen.add(d.ref)
        if d.choice not in (RiskChoice.REMEDIATE.value, RiskChoice.PREMIUM.value):
            errors[f"{at}.choice"] = BAD_CHOICE
        elif d.choice == RiskChoice.REMEDIATE.value:
            if d.committed_date is None:
                errors[f"{at}.committed_date"] = DATE_NEEDED
            elif d.committed_date < today:
                errors[f"{at}.committed_date"] = DATE_PAST
    return errors


def decide(
    session: Session,
    actor: Actor,
    placement_id: object,
    decisions: Sequence[Decision],
    *,
    today: dt.date,
    now: dt.datetime,
) -> list[RegisterPoint]:
    """The insured decides on some or all risk points at once (all or nothing): remediate by a
    committed date (not before ``today``, Asia/Shanghai) — the point's remediation task is opened or
    moved — or accept the loading — an open task is cancelled. Only while ``deciding`` (409 else).
    A decision equal to the standing one changes nothing."""
    placement = placement_service.get_placement(session, actor, placement_id)
    _side(session, actor, placement, PartyRole.INSURED, INSURED_CONTACT)
    register = register_of(session, placement.id)
    if placement.status != PlacementStatus.DECIDING:
        raise Conflict(NOT_DECIDING)
    if register is None:
        raise Conflict(NOT_SEEDED)
    points = {p.ref: p for p in points_of(session, placement.id)}
    errors = check_decisions(decisions, set(points), today)
    if errors:
        raise InvalidInput(NOT_SAVED, fields=errors)
    changed = []
    for d in decisions:
        point = points[d.ref]
        date = d.committed_date if d.choice == RiskChoice.REMEDIATE.value else None
        if point.choice == d.choice and point.committed_date == date:
            continue
        before = _state(point)
        point.choice, point.committed_date = d.choice, date
        point.decided_at, point.decided_by = now, actor.user_id
        _touch(point, now)
        _task_follows(session, actor, point, now)
        _record(session, actor, placement, point, "decided", before, now=now, audience=BROKER_AND_INSURED)
        changed.append(point)
    if all(p.choice != RiskChoice.UNDECIDED.value for p in points.values()):
        case_service.stop_deadline(session, placement_service.case_of(session, placement), "risk_decisions", now=now)
    session.flush()
    return changed


def _task_follows(session: Session, actor: Actor, point: RegisterPoint, now: dt.datetime) -> None:
    """The point's remediation task after a decision: open with the committed date, or cancelled."""
    task = session.execute(select(RemediationTask).where(RemediationTask.point_id == point.id)).scalar_one_or_none()
    if point.choice == RiskChoice.REMEDIATE.value:
        assert point.committed_date is not None
        if task is None:
            session.add(
                RemediationTask(
                    case_id=point.case_id,
                    point_id=point.id,
                    ref=point.ref,
                    title=point.title,
                    due_date=point.committed_date,
                    status=TaskStatus.OPEN.value,
                    created_at=now,
                    created_by=actor.user_id,
                    updated_at=now,
                )
            )
        else:
            task.due_date, task.status, task.updated_at, task.closed_at = (
                point.committed_date,
                TaskStatus.OPEN.value,
                now,
                None,
            )
    elif task is not None and task.status == TaskStatus.OPEN.value:
        task.status, task.updated_at, task.closed_at = TaskStatus.CANCELLED.value, now, now


# ---- later: staged reports check the tasks (R-U9) --------------------------------------------------


def check_tasks(
    session: Session, actor: Actor | None, placement: Placement, report: Report, *, now: dt.datetime
) -> list[RemediationTask]:
    """A submitted staged risk report (阶段性风险评价报告) checks the open tasks: every task whose ref the
    report does not list under ``unremedied`` is done. Returns the tasks it closed (audited)."""
    unremedied = set(report.content.get("unremedied", []))
    closed = []
    for task in tasks_of(session, placement.id, TaskStatus.OPEN):
        if task.ref in unremedied:
            continue
        task.status, task.closed_at, task.updated_at = TaskStatus.DONE.value, now, now
        task.checked_by_report_id = report.id
        closed.append(task)
    if closed:
        case_service.record_event(
            session,
            actor,
            placement_service.case_of(session, placement),
            "risk_register.tasks_checked",
            now=now,
            after={"report": report.display_number, "done": [t.ref for t in closed]},
            audience=BROKER_AND_INSURED,
        )
    session.flush()
    return closed
