"""Practice registrations (执业登记), their verification records (核验) and sanctions, under the current rules
(shared ``regulation.md`` §1.2, §1.8, §1.9):

- a practitioner registers through **one firm only** (资产评估法 Arts. 5, 14(2); 经纪人规定 Art. 34): a move
  ends the old registration and starts the new one in one transaction, the history kept;
- a practitioner who leaves without a new firm is deregistered **within 5 working days** (经纪人规定 Art. 72,
  "日" being working days, Art. 108; assumed for 公估 as §1.8 says), counted on the project's working-day
  calendar (:mod:`tandem.kit.workdays`); a late or overdue one is flagged for supervision;
- no automatic 31 December lapse (the obsolete first-generation rule, §1.1): verification records say who
  checked the registration where, when and with what result, and the review rule is a setting
  (:func:`tandem.party.service.review_due`);
- sanctions and criminal-penalty bars are recorded by supervision with their dates; a criminal penalty bars
  practice until 5 years after the sentence is served (资产评估法 Art. 11, §1.2).

Who acts: the new firm's administrator registers a practitioner it identifies by certificate and ID
number (or supervision / the platform administrator records the move); the current firm's administrator,
supervision or the platform administrator records leaving and deregistration; verifications are recorded
by the current firm's administrator, the broker's account managers and risk evaluators, supervision and
the platform administrator; sanctions by supervision (and the platform administrator).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import OrgKind, Role
from tandem.access.permissions import Perm
from tandem.audit import service as audit
from tandem.kit import transition
from tandem.kit.clock import local_day
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound
from tandem.kit.workdays import nth_working_day_after
from tandem.party.models import Adjuster, AdjusterFirm, Registration, RegistrationCheck, Sanction
from tandem.party.service import NotRegistrable, current_registration, open_registration
from tandem.sla import calendar

DEREGISTER_WORKING_DAYS = 5  # 经纪人规定 Art. 72 with Art. 108 (regulation.md §1.8)
BAR_YEARS = 5  # 资产评估法 Art. 11 (regulation.md §1.2)

CHECK_SOURCES = ("regulator_register", "association_registry", "firm_records", "other")
CHECK_RESULTS = ("passed", "failed", "not_found")
SANCTION_KINDS = ("suspension", "ban", "criminal_penalty", "other")

_FIRM = Role.ADJUSTER_FIRM_ADMIN.value
_ADMIN = Role.PLATFORM_ADMIN.value
_SUPERVISION = frozenset({Role.REGULATOR_VIEWER.value, Role.ORG_ADMIN.value})
_SIDE = frozenset({_FIRM, _ADMIN}) | _SUPERVISION

REGISTRATION_RULES: transition.Table = {
    ("registered", "leave"): transition.Rule(to="leaving", by=_SIDE),
    ("registered", "deregister"): transition.Rule(to="deregistered", by=_SIDE),
    ("leaving", "deregister"): transition.Rule(to="deregistered", by=_SIDE),
    ("registered", "end"): transition.Rule(to="ended", by=frozenset({"system"})),  # a move
    ("leaving", "end"): transition.Rule(to="ended", by=frozenset({"system"})),
}


def is_supervision(actor: Actor) -> bool:
    return actor.org_kind == OrgKind.SUPERVISION


def _registrar(actor: Actor) -> bool:
    """Supervision or the platform administrator: they record any practitioner's registration changes."""
    return is_supervision(actor) or actor.is_admin


def deregister_by(session: Session, left_on: dt.date) -> dt.date:
    """The last day to deregister a practitioner who left on ``left_on``: the 5th working day after it."""
    return nth_working_day_after(left_on, DEREGISTER_WORKING_DAYS, calendar.load(session))


def deregistration_late(reg: Registration, today: dt.date) -> bool:
    """Deregistered after its deadline (or ended by a move after it), or left and still not deregistered
    past it (supervision's flag)."""
    if reg.deregister_by is None:
        return False
    if reg.state == "leaving":
        return today > reg.deregister_by
    # deregistered late, or never deregistered until another firm's registration ended it
    return reg.state in ("deregistered", "ended") and reg.ends_on is not None and reg.ends_on > reg.deregister_by


def bar_ends_on(sentence_ends_on: dt.date) -> dt.date:
    """The last day of a criminal-penalty bar: 5 years after the sentence was served (29 Feb → 28 Feb)."""
    try:
        return sentence_ends_on.replace(year=sentence_ends_on.year + BAR_YEARS)
    except ValueError:
        return sentence_ends_on.replace(year=sentence_ends_on.year + BAR_YEARS, day=28)


# ---- registrations -------------------------------------------------------------------------------


def _move_registration(
    session: Session,
    reg: Registration,
    action: str,
    roles: frozenset[str],
    changes: dict[str, object],
    *,
    at: dt.datetime,
    actor: audit.ActorRef,
    request_id: str | None,
) -> None:
    """One transition of a registration: compare-and-set on its state (409 when it moved meanwhile),
    audited on the firm's chain."""
    before, after = transition.move(session, reg, REGISTRATION_RULES, action, roles, values=changes)
    audit.record(
        session,
        actor,
        action=f"registration.{after}",
        entity_type="registration",
        entity_id=reg.id,
        at=at,
        chain_key=f"org:{reg.firm_id}",
        before={"state": before},
        after={"state": after, **{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in changes.items()}},
        request_id=request_id,
    )


def _find_practitioner(
    session: Session, actor: Actor, certificate_no: str, id_number: str | None, adjuster_id: uuid.UUID | None
) -> Adjuster:
    """The practitioner a move names: supervision and the platform by id or certificate number; a firm by
    certificate number and ID number together, with one answer when they do not match (the register
    cannot be probed)."""
    if adjuster_id is not None and _registrar(actor):
        return scope.get_adjuster(session, actor, adjuster_id)
    stmt = select(Adjuster).where(Adjuster.certificate_no == certificate_no)
    adj = session.execute(stmt).unique().scalar_one_or_none()
    if adj is None or (not _registrar(actor) and (not id_number or adj.id_number != id_number)):
        raise NotRegistrable()
    return adj


def move(
    session: Session,
    actor: Actor,
    *,
    firm_id: uuid.UUID,
    starts_on: dt.date,
    at: dt.datetime,
    certificate_no: str = "",
    id_number: str | None = None,
    adjuster_id: uuid.UUID | None = None,
    registration_no: str | None = None,
) -> Registration:
    """Register a practitioner already on the register through ``firm_id`` (a move): the open registration
    ends the day before ``starts_on`` and the new one starts, in one transaction."""
    if _registrar(actor):
        firm = session.get(AdjusterFirm, firm_id)
        if firm is None:
            raise NotFound()
    elif actor.org_kind == OrgKind.ADJUSTER_FIRM and actor.can(Perm.MANAGE_ADJUSTERS):
        if firm_id != actor.org_id:
            raise NotFound()
    else:
        raise ActionNotAllowed()
    today = local_day(at)
    if starts_on > today:
        raise InvalidInput("The registration cannot start in the future.", fields={"starts_on": "after today"})
    adj = _find_practitioner(session, actor, certificate_no, id_number, adjuster_id)
    old = current_registration(adj)
    if old is not None and old.firm_id == firm_id:
        raise Conflict("Already registered with this firm.", fields={"firm_id": "already registered here"})
    if old is not None and starts_on <= old.starts_on:
        raise InvalidInput("The new registration must start after the current one.", fields={"starts_on": "too early"})
    ended = [r.ends_on for r in adj.registrations if r.ends_on is not None]
    if old is None and ended and starts_on <= max(ended):
        raise InvalidInput(
            "The new registration must start after the last one ended.", fields={"starts_on": "too early"}
        )
    number = registration_no or adj.registration_no
    holder = session.execute(
        select(Adjuster.id).where(Adjuster.registration_no == number, Adjuster.id != adj.id)
    ).scalar_one_or_none()
    if holder is not None:
        raise Conflict("Already registered.", fields={"registration_no": "already registered"})
    if old is not None:
        _move_registration(
            session,
            old,
            "end",
            frozenset({"system"}),
            {"ends_on": starts_on - dt.timedelta(days=1)},
            at=at,
            actor=actor.ref,
            request_id=actor.request_id,
        )
    try:
        with session.begin_nested():
            reg = open_registration(session, adj, firm_id, number, starts_on, at=at, actor=actor)
    except IntegrityError as exc:  # a concurrent move opened one first (the one-open-registration index)
        raise Conflict(
            "The practitioner already has an open registration.", fields={"adjuster_id": "open registration"}
        ) from exc
    return reg


def _current(session: Session, actor: Actor, adjuster_id: object) -> tuple[Adjuster, Registration]:
    adj = scope.get_adjuster(session, actor, adjuster_id)
    if not _registrar(actor) and not (actor.org_id == adj.firm_id and actor.can(Perm.MANAGE_ADJUSTERS)):
        raise ActionNotAllowed()
    reg = current_registration(adj)
    if reg is None:
        raise Conflict("The practitioner has no open registration.", fields={"registration": "none open"})
    return adj, reg


def _roles(actor: Actor) -> frozenset[str]:
    return frozenset(r.value for r in actor.roles)


def leave(session: Session, actor: Actor, adjuster_id: object, *, left_on: dt.date, at: dt.datetime) -> Registration:
    """The practitioner left the firm on ``left_on``: no more work through it, and the deregistration is
    due on the 5th working day after."""
    _adj, reg = _current(session, actor, adjuster_id)
    if left_on > local_day(at) or left_on < reg.starts_on:
        raise InvalidInput("The leaving date is outside the registration.", fields={"left_on": "out of range"})
    changes: dict[str, object] = {"left_on": left_on, "deregister_by": deregister_by(session, left_on)}
    _move_registration(
        session, reg, "leave", _roles(actor), changes, at=at, actor=actor.ref, request_id=actor.request_id
    )
    return reg


def deregister(
    session: Session, actor: Actor, adjuster_id: object, *, at: dt.datetime, left_on: dt.date | None = None
) -> Registration:
    """Cancel the open registration (注销执业登记) today; one not yet marked as left needs ``left_on``."""
    _adj, reg = _current(session, actor, adjuster_id)
    today = local_day(at)
    changes: dict[str, object] = {"ends_on": today}
    if reg.state == "registered":
        if left_on is None:
            raise InvalidInput("Give the day the practitioner left.", fields={"left_on": "required"})
        if left_on > today or left_on < reg.starts_on:
            raise InvalidInput("The leaving date is outside the registration.", fields={"left_on": "out of range"})
        changes.update(left_on=left_on, deregister_by=deregister_by(session, left_on))
    _move_registration(
        session, reg, "deregister", _roles(actor), changes, at=at, actor=actor.ref, request_id=actor.request_id
    )
    return reg


def late_deregistrations(session: Session, today: dt.date) -> list[Registration]:
    """Registrations deregistered late or left and overdue: supervision's list."""
    rows = session.execute(
        select(Registration).where(
            Registration.deregister_by.is_not(None), Registration.state.in_(("leaving", "deregistered", "ended"))
        )
    ).scalars()
    return [r for r in rows if deregistration_late(r, today)]


# ---- verification records ------------------------------------------------------------------------


def may_check(actor: Actor, adj: Adjuster) -> bool:
    if actor.read_only and not is_supervision(actor):
        return False
    return (
        _registrar(actor)
        or (actor.org_kind == OrgKind.BROKER and actor.can(Perm.MANAGE_BLACKLIST))
        or (actor.org_id == adj.firm_id and actor.can(Perm.MANAGE_ADJUSTERS))
    )


def record_check(
    session: Session,
    actor: Actor,
    adjuster_id: object,
    *,
    source: str,
    result: str,
    checked_on: dt.date,
    at: dt.datetime,
    note: str | None = None,
) -> RegistrationCheck:
    """Record a verification of the practitioner's registration: who (this user and organisation), where
    (``source``), when (``checked_on``), with what result; append-only."""
    adj = scope.get_adjuster(session, actor, adjuster_id)
    if not may_check(actor, adj):
        raise ActionNotAllowed()
    if source not in CHECK_SOURCES:
        raise InvalidInput("Unknown source.", fields={"source": "one of " + ", ".join(CHECK_SOURCES)})
    if result not in CHECK_RESULTS:
        raise InvalidInput("Unknown result.", fields={"result": "one of " + ", ".join(CHECK_RESULTS)})
    if checked_on > local_day(at):
        raise InvalidInput("The check cannot be in the future.", fields={"checked_on": "after today"})
    reg = current_registration(adj)
    check = RegistrationCheck(
        adjuster_id=adj.id,
        registration_id=reg.id if reg else None,
        source=source,
        result=result,
        checked_on=checked_on,
        note=(note or "").strip() or None,
        checked_by=actor.user_id,
        checked_by_org=actor.org_id,
        created_at=at,
    )
    session.add(check)
    session.flush()
    session.expire(adj, ["checks"])
    audit.record(
        session,
        actor.ref,
        action="registration.checked",
        entity_type="registration_check",
        entity_id=check.id,
        at=at,
        chain_key=f"org:{adj.firm_id}",
        after={"adjuster_id": str(adj.id), "source": source, "result": result, "checked_on": checked_on.isoformat()},
        reason=check.note,
        request_id=actor.request_id,
    )
    return check


# ---- sanctions -----------------------------------------------------------------------------------


def may_sanction(actor: Actor) -> bool:
    return _registrar(actor)


def record_sanction(
    session: Session,
    actor: Actor,
    adjuster_id: object,
    *,
    kind: str,
    authority: str,
    starts_on: dt.date,
    at: dt.datetime,
    decision_no: str | None = None,
    ends_on: dt.date | None = None,
    sentence_ends_on: dt.date | None = None,
    note: str | None = None,
) -> Sanction:
    """Supervision records a sanction with its dates. A criminal penalty (刑事处罚) names the day the
    sentence ends; the bar then runs to 5 years after it (资产评估法 Art. 11), whatever ``ends_on`` says."""
    adj = scope.get_adjuster(session, actor, adjuster_id)
    if not may_sanction(actor):
        raise ActionNotAllowed()
    if kind not in SANCTION_KINDS:
        raise InvalidInput("Unknown kind.", fields={"kind": "one of " + ", ".join(SANCTION_KINDS)})
    if not authority.strip():
        raise InvalidInput("Name the authority.", fields={"authority": "required"})
    if kind == "criminal_penalty":
        if sentence_ends_on is None:
            raise InvalidInput("Give the day the sentence ends.", fields={"sentence_ends_on": "required"})
        if sentence_ends_on < starts_on:
            raise InvalidInput("The sentence ends before it starts.", fields={"sentence_ends_on": "before starts_on"})
        ends_on = bar_ends_on(sentence_ends_on)
    elif sentence_ends_on is not None:
        raise InvalidInput("Only a criminal penalty has a sentence.", fields={"sentence_ends_on": "criminal only"})
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput("The end is before the start.", fields={"ends_on": "before starts_on"})
    sanction = Sanction(
        adjuster_id=adj.id,
        kind=kind,
        authority=authority.strip(),
        decision_no=(decision_no or "").strip() or None,
        starts_on=starts_on,
        ends_on=ends_on,
        sentence_ends_on=sentence_ends_on,
        note=(note or "").strip() or None,
        recorded_by=actor.user_id,
        recorded_at=at,
    )
    session.add(sanction)
    session.flush()
    session.expire(adj, ["sanctions"])
    audit.record(
        session,
        actor.ref,
        action="sanction.recorded",
        entity_type="sanction",
        entity_id=sanction.id,
        at=at,
        chain_key=f"org:{adj.firm_id}",
        after={
            "adjuster_id": str(adj.id),
            "kind": kind,
            "authority": sanction.authority,
            "decision_no": sanction.decision_no,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat() if ends_on else None,
        },
        reason=sanction.note,
        request_id=actor.request_id,
    )
    return sanction
