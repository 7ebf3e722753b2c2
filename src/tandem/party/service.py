"""Party registry rules: eligibility of adjusters, firm staffing warnings, the blacklist (黑名单)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, object_session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import OrgKind
from tandem.access.permissions import Perm, roles_with
from tandem.audit import service as audit
from tandem.config import Settings, get_settings
from tandem.kit import pii, transition
from tandem.kit.clock import local_day
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound, StateChanged
from tandem.kit.i18n import N_, Phrase
from tandem.kit.limits import reason_text
from tandem.party.filing_models import FirmChangeReport
from tandem.party.models import (
    OPEN_REGISTRATION,
    Adjuster,
    AdjusterFirm,
    BlacklistEntry,
    FilingStatus,
    LegalForm,
    Registration,
    RegistrationCheck,
)

# Minimum number of 公估师 by legal form (2021 实施办法 Art. 53; 资产评估法 Art. 15).
MIN_ADJUSTERS = {LegalForm.COMPANY: 8, LegalForm.PARTNERSHIP: 2}


def review_months(adj: Adjuster) -> int:
    """The review rule in force (``TANDEM_REGISTRATION_REVIEW_MONTHS``; 0: no periodic review), read from
    the settings the adjuster's session carries (the app's), else the process's."""
    session = object_session(adj)
    settings = session.info.get("tandem.settings") if session is not None else None
    return int((settings if isinstance(settings, Settings) else get_settings()).registration_review_months)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day where it is shorter: 31 Jan + 1 → 28/29 Feb)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - 28 always exists


def current_registration(adj: Adjuster) -> Registration | None:
    """The practitioner's open 执业登记 (registered, or left and awaiting deregistration); None when none."""
    return next((r for r in reversed(adj.registrations) if r.state in OPEN_REGISTRATION), None)


def latest_check(adj: Adjuster) -> RegistrationCheck | None:
    return adj.checks[-1] if adj.checks else None


def _authority(check: RegistrationCheck) -> bool:
    """Recorded by supervision or the platform (or by the migration, by nobody)."""
    return check.checker is None or check.checker.kind in (OrgKind.SUPERVISION, OrgKind.PLATFORM)


def deciding_checks(adj: Adjuster) -> list[RegistrationCheck]:
    """The verifications that decide whether the practitioner may work, oldest first: supervision's and the
    platform's, and the practitioner's own firm's review — but none of the firm's after supervision's last
    finding against the registration (only supervision lifts its own finding). A broker's look-up is kept
    and shown, and decides nothing for anyone."""
    counted = [c for c in adj.checks if _authority(c) or c.checked_by_org == adj.firm_id]
    negative = [n for n, c in enumerate(counted) if _authority(c) and c.result != "passed"]
    if not negative:
        return counted
    return [c for n, c in enumerate(counted) if n <= negative[-1] or _authority(c)]


def review_due(adj: Adjuster) -> dt.date | None:
    """When the next passed verification is needed under the review rule: the rule's months after the
    last passed check (or after the current registration's start); None when the rule asks none."""
    months = review_months(adj)
    if not months:
        return None
    passed = [c.checked_on for c in deciding_checks(adj) if c.result == "passed"]
    reg = current_registration(adj)
    anchor = max(passed) if passed else (reg.starts_on if reg else None)
    return add_months(anchor, months) if anchor else None


def active_sanction(adj: Adjuster, today: dt.date) -> bool:
    return any(s.starts_on <= today and (s.ends_on is None or s.ends_on >= today) for s in adj.sanctions)


def qualification_status(adj: Adjuster, today: dt.date) -> str:
    """valid | lapsed | sanctioned | inactive. Inactive: no longer practising, or not registered (no
    open registration, or left the firm); lapsed: the latest deciding verification did not find it,
    or the review rule asks for one that has not passed in time."""
    reg = current_registration(adj)
    if not adj.active or reg is None or reg.state != "registered" or reg.starts_on > today:
        return "inactive"
    if active_sanction(adj, today):
        return "sanctioned"
    deciding = deciding_checks(adj)
    if deciding and deciding[-1].result != "passed":
        return "lapsed"
    due = review_due(adj)
    if due is not None and due < today:
        return "lapsed"
    return "valid"


def blacklist_hits(
    session: Session, adj: Adjuster, today: dt.date, broker_id: uuid.UUID | None = None, line: str | None = None
) -> list[BlacklistEntry]:
    """The blacklist entries that keep this adjuster from work today: the one reading of the blacklist
    (黑名单) for routing, claims and placements alike. An entry counts from ``valid_from`` to its term
    (``valid_until``, inclusive; none: indefinite) unless lifted or ended; its ``lines`` scope it to those
    lines (empty: all). ``broker_id``: whose list; ``line``: the line of the work (None: any line)."""
    stmt = select(BlacklistEntry).where(
        BlacklistEntry.state == "active",
        (BlacklistEntry.adjuster_id == adj.id) | (BlacklistEntry.firm_id == adj.firm_id),
        BlacklistEntry.valid_from <= today,
        (BlacklistEntry.valid_until.is_(None)) | (BlacklistEntry.valid_until >= today),
    )
    if broker_id is not None:
        stmt = stmt.where(BlacklistEntry.broker_id == broker_id)
    entries = session.execute(stmt).scalars()
    return [e for e in entries if line is None or not e.lines or line in e.lines]


def ineligibility(
    session: Session, adj: Adjuster, today: dt.date, broker_id: uuid.UUID | None = None, line: str | None = None
) -> list[str]:
    """Reason codes why this adjuster may not be assigned work now (empty = assignable)."""
    reasons: list[str] = []
    if qualification_status(adj, today) != "valid":
        reasons.append("certificate_lapsed")
    if adj.firm.filing_status != FilingStatus.FILED or not adj.firm.organisation.active:
        reasons.append("firm_not_filed")
    if blacklist_hits(session, adj, today, broker_id, line):
        reasons.append("blacklisted")
    return reasons


QUALIFICATION_WORDS = {
    "lapsed": N_("registration lapsed (verification failed or overdue)"),
    "sanctioned": N_("sanctioned (practice suspended)"),
    "inactive": N_("no longer practising"),
}


def ineligibility_words(
    session: Session, adj: Adjuster, today: dt.date, broker_id: uuid.UUID | None = None, line: str | None = None
) -> Phrase | None:
    """Why this practitioner may not be given work, in words and by name (``钱永刚: certificate lapsed …``),
    translated where it is shown (``str()``: the English the API answers); None when nothing stands in the
    way. ``line``: the insurance line the work is in."""
    words = []
    status = qualification_status(adj, today)
    if status != "valid":
        words.append(Phrase(QUALIFICATION_WORDS[status]))
    if adj.firm.filing_status != FilingStatus.FILED or not adj.firm.organisation.active:
        words.append(Phrase(N_("the firm's filing (备案) is not in force")))
    if blacklist_hits(session, adj, today, broker_id, line):
        words.append(Phrase(N_("on the broker's blacklist")))
    if line and adj.lines and line not in adj.lines:
        words.append(Phrase(N_("not qualified for {line}"), line=line))
    return Phrase(N_("{name}: {reasons}"), name=adj.name, reasons=tuple(words)) if words else None


def require_assignable(session: Session, adj: Adjuster, today: dt.date, broker_id: uuid.UUID | None = None) -> None:
    reasons = ineligibility(session, adj, today, broker_id)
    if reasons:
        raise Conflict("This adjuster cannot be assigned work: {reasons}.", reasons=", ".join(reasons))


@dataclass(frozen=True)
class FirmWarning:
    code: str
    message: str


def firm_warnings(session: Session, firm: AdjusterFirm, today: dt.date) -> list[FirmWarning]:
    qualified = sum(1 for a in firm.adjusters if qualification_status(a, today) == "valid")
    minimum = MIN_ADJUSTERS[firm.legal_form]
    warnings = []
    if qualified < minimum:
        warnings.append(
            FirmWarning(
                "too_few_adjusters",
                f"{qualified} qualified adjusters; a {firm.legal_form.value} needs at least {minimum}",
            )
        )
    if firm.filing_status != FilingStatus.FILED:
        warnings.append(FirmWarning("not_filed", f"filing status is {firm.filing_status.value}"))
    late = overdue_changes(session, firm, today)
    if late:
        warnings.append(FirmWarning("change_report_late", f"{late} change reports overdue"))
    return warnings


def overdue_changes(session: Session, firm: AdjusterFirm, today: dt.date) -> int:
    """The firm's change reports (变更报告) still unreported after their due date."""
    stmt = select(func.count()).where(
        FirmChangeReport.firm_id == firm.organisation_id,
        FirmChangeReport.state == "open",
        FirmChangeReport.due_on < today,
    )
    return int(session.execute(stmt).scalar_one())


# ---- blacklist lifecycle -------------------------------------------------------------------------

BLACKLIST_RULES: transition.Table = {
    ("active", "lift"): transition.Rule(to="lifted", by=frozenset(r.value for r in roles_with(Perm.MANAGE_BLACKLIST))),
    ("active", "end"): transition.Rule(to="ended", by=frozenset({"system"})),  # at its term (the worker)
}


def _entry_json(e: BlacklistEntry) -> dict[str, object]:
    return {
        "adjuster_id": str(e.adjuster_id) if e.adjuster_id else None,
        "firm_id": str(e.firm_id) if e.firm_id else None,
        "reason": e.reason,
        "valid_from": e.valid_from.isoformat(),
        "valid_until": e.valid_until.isoformat() if e.valid_until else None,
        "state": e.state,
        "lines": list(e.lines or []),
    }


def add_to_blacklist(
    session: Session,
    actor: Actor,
    *,
    at: dt.datetime,
    reason: str,
    valid_from: dt.date,
    valid_until: dt.date | None,
    adjuster_id: uuid.UUID | None = None,
    firm_id: uuid.UUID | None = None,
    lines: list[str] | None = None,
) -> BlacklistEntry:
    """Put an adjuster (or a whole firm) on the broker's blacklist, with reason and period; ``lines``
    scope it to those lines (none: all lines)."""
    if actor.org_kind != OrgKind.BROKER or not actor.can(Perm.MANAGE_BLACKLIST):
        raise ActionNotAllowed()
    reason = reason_text(reason)
    if (adjuster_id is None) == (firm_id is None):
        raise InvalidInput("Name either an adjuster or a firm.", fields={"adjuster_id": "adjuster or firm"})
    if valid_until is not None and valid_until < valid_from:
        raise InvalidInput("The end is before the start.", fields={"valid_until": "before valid_from"})
    if adjuster_id is not None:
        adj = scope.get_adjuster(session, actor, adjuster_id)
        adjuster_id = adj.id
    if firm_id is not None:
        firm_id = scope.get_firm(session, actor, firm_id).organisation_id
    entry = BlacklistEntry(
        broker_id=actor.org_id,
        adjuster_id=adjuster_id,
        firm_id=firm_id,
        reason=reason,
        valid_from=valid_from,
        valid_until=valid_until,
        state="active",
        lines=list(lines or []),
        created_at=at,
        created_by=actor.user_id,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        actor.ref,
        action="blacklist.added",
        entity_type="blacklist_entry",
        entity_id=entry.id,
        at=at,
        after=_entry_json(entry),
        reason=entry.reason,
        request_id=actor.request_id,
    )
    return entry


def lift_blacklist_entry(
    session: Session, actor: Actor, entry_id: object, *, at: dt.datetime, reason: str
) -> BlacklistEntry:
    entry = scope.get_blacklist_entry(session, actor, entry_id)
    if actor.org_kind != OrgKind.BROKER:
        raise ActionNotAllowed()
    roles = frozenset(r.value for r in actor.roles)
    rule = transition.resolve(BLACKLIST_RULES, entry.state, "lift", roles)
    reason = reason_text(reason)
    _move_entry(session, entry, rule, at=at, actor=actor.ref, reason=reason, request_id=actor.request_id)
    return entry


def end_blacklist_entry(session: Session, entry: BlacklistEntry, *, at: dt.datetime) -> BlacklistEntry:
    """The entry's term is over (the worker, at the term's end): it ends, on the record."""
    rule = transition.resolve(BLACKLIST_RULES, entry.state, "end", frozenset({"system"}))
    _move_entry(session, entry, rule, at=at, actor=audit.SYSTEM, reason=None, request_id=None)
    return entry


def _move_entry(
    session: Session,
    entry: BlacklistEntry,
    rule: transition.Rule,
    *,
    at: dt.datetime,
    actor: audit.ActorRef,
    reason: str | None,
    request_id: str | None,
) -> None:
    """Compare-and-set the entry's state (a concurrent change loses with 409) and audit it."""
    before = entry.state  # read before the UPDATE: it synchronises the loaded entry to the new state
    moved = session.execute(
        update(BlacklistEntry)
        .where(BlacklistEntry.id == entry.id, BlacklistEntry.state == before)
        .values(state=rule.to)
        .returning(BlacklistEntry.id)
    ).first()
    if moved is None:
        raise StateChanged()
    session.refresh(entry)
    audit.record(
        session,
        actor,
        action=f"blacklist.{rule.to}",
        entity_type="blacklist_entry",
        entity_id=entry.id,
        at=at,
        chain_key=f"org:{entry.broker_id}",
        before={"state": before},
        after={"state": rule.to},
        reason=reason,
        request_id=request_id,
    )


# ---- adjusters -----------------------------------------------------------------------------------


class NotRegistrable(Conflict):
    """A registration, certificate or ID number held by another firm's adjuster: which one (and that the
    other firm exists in the register with it) is not told."""

    code = "adjuster.not_registrable"
    message = "These details cannot be registered. If they are correct, ask the platform administrator."


def register_adjuster(
    session: Session,
    settings: Settings,
    actor: Actor,
    *,
    firm_id: uuid.UUID,
    name: str,
    certificate_no: str,
    registration_no: str,
    at: dt.datetime,
    id_number: str | None = None,
    title: str | None = None,
    starts_on: dt.date | None = None,
    lines: list[str] | None = None,
    regions: list[str] | None = None,
    capacity: int = 10,
) -> Adjuster:
    """Register a 公估师 with a firm: the practitioner and the first 执业登记 (from ``starts_on``, default
    today). The registration is with one firm only (unique across firms); a practitioner already on the
    register moves with :func:`tandem.party.practice.move`."""
    if not actor.can(Perm.MANAGE_ADJUSTERS):
        raise ActionNotAllowed()
    if firm_id != actor.org_id and not actor.is_admin:
        raise NotFound()
    firm = session.get(AdjusterFirm, firm_id)
    if firm is None:
        raise NotFound()
    for field, value in (
        ("certificate_no", certificate_no),
        ("registration_no", registration_no),
        ("id_number", id_number),
    ):
        if value is None:
            continue
        same = (
            pii.equals(Adjuster.id_number_bidx, value, field)
            if field == "id_number"
            else getattr(Adjuster, field) == value
        )
        holder = session.execute(select(Adjuster.firm_id).where(same)).scalar_one_or_none()
        if holder is None:
            continue
        if holder != actor.org_id and not actor.is_admin:
            # Another firm's staff: one answer whatever the number, so the register cannot be probed.
            raise NotRegistrable()
        msg = "already registered with a firm (one firm only)" if field == "registration_no" else "already registered"
        raise Conflict("Already registered.", fields={field: msg})
    today = local_day(at)
    if starts_on is not None and starts_on > today:
        raise InvalidInput("The registration cannot start in the future.", fields={"starts_on": "after today"})
    adj = Adjuster(
        firm_id=firm.organisation_id,
        name=name,
        certificate_no=certificate_no,
        registration_no=registration_no,
        id_number=id_number,
        title=title,
        lines=lines or [],
        regions=regions or [],
        capacity=capacity,
        created_at=at,
    )
    session.add(adj)
    session.flush()
    audit.record(
        session,
        actor.ref,
        action="adjuster.registered",
        entity_type="adjuster",
        entity_id=adj.id,
        at=at,
        chain_key=f"org:{firm.organisation_id}",
        after={"name": name, "certificate_no": certificate_no, "registration_no": registration_no},
        request_id=actor.request_id,
    )
    open_registration(session, adj, firm.organisation_id, registration_no, starts_on or today, at=at, actor=actor)
    return adj


def open_registration(
    session: Session,
    adj: Adjuster,
    firm_id: uuid.UUID,
    registration_no: str,
    starts_on: dt.date,
    *,
    at: dt.datetime,
    actor: Actor | None,
) -> Registration:
    """Start the practitioner's 执业登记 through ``firm_id`` (the caller has ended any open one) and make
    that firm and number the practitioner's current ones, audited on the firm's chain. ``actor`` None: the
    system (demo, migration of a book)."""
    reg = Registration(
        adjuster_id=adj.id,
        firm_id=firm_id,
        registration_no=registration_no,
        state="registered",
        starts_on=starts_on,
        created_at=at,
        created_by=actor.user_id if actor else None,
    )
    session.add(reg)
    adj.firm_id, adj.registration_no = firm_id, registration_no
    session.flush()
    session.expire(adj, ["registrations", "firm"])
    audit.record(
        session,
        actor.ref if actor else audit.SYSTEM,
        action="registration.registered",
        entity_type="registration",
        entity_id=reg.id,
        at=at,
        chain_key=f"org:{firm_id}",
        after={
            "adjuster_id": str(adj.id),
            "firm_id": str(firm_id),
            "registration_no": registration_no,
            "starts_on": starts_on.isoformat(),
        },
        request_id=actor.request_id if actor else None,
    )
    return reg


def count_adjusters(session: Session, firm_id: uuid.UUID) -> int:
    return int(
        session.execute(select(func.count()).select_from(Adjuster).where(Adjuster.firm_id == firm_id)).scalar_one()
    )
