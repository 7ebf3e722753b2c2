"""Tolerance (容时容差), blacklist proposals, decisions, appeals and the end of a listing.

More than ``tolerance`` upheld notices within ``window_months`` (counted by the day of the notice), or one
upheld ``serious`` notice, opens a proposal; the platform never lists by itself. A broker account manager
decides it with reasons: a listing with a scope (all lines or named lines) and a term (months, or
indefinite), or no listing. The listing is a ``blacklist_entry`` naming its lines and term, so routing
reads it through ``party.service.blacklist_hits`` like any entry. The adjuster or its firm may appeal
within 15 days; someone who took no part decides the appeal. An entry ends at its term (the worker's
``neutrality.listing_end``) or when lifted."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Role
from tandem.audit import service as audit
from tandem.kit import transition
from tandem.kit.clock import SHANGHAI, local_day
from tandem.kit.errors import ActionNotAllowed, InvalidInput
from tandem.kit.i18n import format_local
from tandem.kit.limits import reason_text
from tandem.neutrality import common
from tandem.neutrality.models import Finding, NeutralitySettings, Proposal
from tandem.notification.outbox import enqueue
from tandem.party import service as party_service
from tandem.party.models import BlacklistEntry
from tandem.premium.engine import add_months

DEFAULT_TOLERANCE = 2
DEFAULT_WINDOW_MONTHS = 12
APPEAL_DAYS = 15
TERM_MAX_MONTHS = 120
WINDOW_MAX_MONTHS = 120
TOLERANCE_MAX = 100
# A proposal in one of these states stands: no second one is opened beside it.
PENDING = ("open", "appealed")


def _not_involved(proposal: Proposal, actor: Actor, now: dt.datetime, session: Session) -> None:
    """The appeal is decided by someone who took no part: not the decider, nor anyone who recorded,
    reviewed or decided a notice behind the proposal."""
    involved = {proposal.decided_by}
    ids = [uuid.UUID(i) for i in proposal.finding_ids]
    for f in session.execute(select(Finding).where(Finding.id.in_(ids))).scalars():
        involved |= {f.recorded_by, f.reviewed_by, f.decided_by}
    if actor.user_id in involved:
        raise ActionNotAllowed("Someone who took no part in the decision must decide the appeal.")


def _may_appeal(proposal: Proposal, actor: Actor, now: dt.datetime, session: Session) -> None:
    if not common.speaks_for(actor, proposal.adjuster):
        raise ActionNotAllowed()
    if proposal.appeal_due is None or now > proposal.appeal_due:
        raise ActionNotAllowed("The appeal period has ended.")


RULES: transition.Table = {
    ("open", "list"): transition.Rule("listed", common.MANAGERS),
    ("open", "not_list"): transition.Rule("not_listed", common.MANAGERS),
    ("listed", "appeal"): transition.Rule("appealed", common.ADJUSTER_SIDE, _may_appeal),
    ("appealed", "grant"): transition.Rule("lifted", common.BROKER_STAFF, _not_involved),
    ("appealed", "dismiss"): transition.Rule("appeal_dismissed", common.BROKER_STAFF, _not_involved),
}


def link(proposal: Proposal) -> str:
    return f"/neutrality/proposals/{proposal.id}"


# ---- tolerance ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tolerance:
    tolerance: int
    window_months: int


def tolerance_of(session: Session, broker_id: uuid.UUID) -> Tolerance:
    row = session.get(NeutralitySettings, broker_id)
    if row is None:
        return Tolerance(DEFAULT_TOLERANCE, DEFAULT_WINDOW_MONTHS)
    return Tolerance(row.tolerance, row.window_months)


def set_tolerance(session: Session, actor: Actor, *, tolerance: int, window_months: int, at: dt.datetime) -> Tolerance:
    """A broker account manager sets the broker's tolerance and window."""
    common.require_broker(actor, common.MANAGERS)
    if not 0 <= tolerance <= TOLERANCE_MAX:
        raise InvalidInput("Out of range.", fields={"tolerance": f"0 to {TOLERANCE_MAX}"})
    if not 1 <= window_months <= WINDOW_MAX_MONTHS:
        raise InvalidInput("Out of range.", fields={"window_months": f"1 to {WINDOW_MAX_MONTHS}"})
    before = tolerance_of(session, actor.org_id)
    row = session.get(NeutralitySettings, actor.org_id)
    if row is None:
        row = NeutralitySettings(broker_id=actor.org_id)
        session.add(row)
    row.tolerance, row.window_months, row.updated_at, row.updated_by = tolerance, window_months, at, actor.user_id
    session.flush()
    audit.record(
        session,
        actor.ref,
        action="neutrality.tolerance_set",
        entity_type="neutrality_settings",
        entity_id=actor.org_id,
        at=at,
        chain_key=f"org:{actor.org_id}",
        before={"tolerance": before.tolerance, "window_months": before.window_months},
        after={"tolerance": tolerance, "window_months": window_months},
        request_id=actor.request_id,
    )
    return Tolerance(tolerance, window_months)


def window_start(at: dt.datetime, months: int) -> dt.datetime:
    """The start of the window: the same local day ``months`` months before (00:00 Asia/Shanghai), in UTC."""
    day = local_day(at)
    start = dt.date(*add_months(day, -months))
    return dt.datetime.combine(start, dt.time(0), tzinfo=SHANGHAI).astimezone(dt.UTC)


def counting(session: Session, broker_id: uuid.UUID, adjuster_id: uuid.UUID, at: dt.datetime) -> list[Finding]:
    """The adjuster's upheld notices of this broker that count now: notified within the window."""
    tol = tolerance_of(session, broker_id)
    stmt = (
        select(Finding)
        .where(
            Finding.broker_id == broker_id,
            Finding.adjuster_id == adjuster_id,
            Finding.state == "upheld",
            Finding.notified_at >= window_start(at, tol.window_months),
        )
        .order_by(Finding.notified_at)
    )
    return list(session.execute(stmt).unique().scalars())


def check_tolerance(session: Session, finding: Finding, at: dt.datetime) -> Proposal | None:
    """After a notice is upheld: open a proposal past the tolerance (or on a serious notice), unless one is
    pending or the adjuster is listed by this broker already."""
    upheld = counting(session, finding.broker_id, finding.adjuster_id, at)
    tol = tolerance_of(session, finding.broker_id)
    serious = finding.severity == "serious"
    if not serious and len(upheld) <= tol.tolerance:
        return None
    pending = session.execute(
        select(Proposal.id).where(
            Proposal.broker_id == finding.broker_id,
            Proposal.adjuster_id == finding.adjuster_id,
            Proposal.state.in_(PENDING),
        )
    ).first()
    today = local_day(at)
    if pending or party_service.blacklist_hits(session, finding.adjuster, today, finding.broker_id):
        return None
    basis = [finding] if serious and len(upheld) <= tol.tolerance else upheld
    proposal = Proposal(
        broker_id=finding.broker_id,
        adjuster_id=finding.adjuster_id,
        firm_id=finding.firm_id,
        trigger="serious" if serious and len(upheld) <= tol.tolerance else "tolerance",
        finding_ids=[str(f.id) for f in basis],
        state="open",
        opened_at=at,
    )
    session.add(proposal)
    session.flush()
    common.record(
        session,
        None,
        "neutrality.proposal_opened",
        proposal,
        at=at,
        broker_id=proposal.broker_id,
        after={
            "state": "open",
            "trigger": proposal.trigger,
            "notices": [f.number for f in basis],
            "tolerance": tol.tolerance,
            "window_months": tol.window_months,
        },
    )
    common.tell(
        session,
        common.users_with_role(session, proposal.broker_id, Role.BROKER_ACCOUNT_MANAGER),
        "neutrality.proposal_opened",
        at=at,
        link=link(proposal),
        key=f"neutrality:{proposal.id}:opened",
        params={"adjuster": finding.adjuster.name},
    )
    return proposal


# ---- decision -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    blacklist: bool
    reason: str
    lines: tuple[str, ...] = ()
    term_months: int | None = None


def _term_end(start: dt.date, months: int | None) -> dt.date | None:
    """The last day of a term of ``months`` months starting on ``start`` (None: indefinite)."""
    return None if months is None else dt.date(*add_months(start, months)) - dt.timedelta(days=1)


def _evidence_list(session: Session, proposal: Proposal) -> list[str]:
    ids = [uuid.UUID(i) for i in proposal.finding_ids]
    return sorted(session.execute(select(Finding.number).where(Finding.id.in_(ids))).scalars())


def decide(session: Session, actor: Actor, proposal_id: Any, decision: Decision, *, at: dt.datetime) -> Proposal:
    """Decide the proposal: list (scope, term) or not. Of two concurrent decisions exactly one wins."""
    proposal = scope.get_proposal(session, actor, proposal_id)
    common.require_broker(actor, common.MANAGERS)
    text = reason_text(decision.reason)
    if decision.term_months is not None and not 1 <= decision.term_months <= TERM_MAX_MONTHS:
        raise InvalidInput("Out of range.", fields={"term_months": f"1 to {TERM_MAX_MONTHS}, or none"})
    lines = list(dict.fromkeys(x.strip() for x in decision.lines if x.strip()))
    values: dict[str, Any] = {"decided_by": actor.user_id, "decided_at": at, "decision_reason": text}
    if decision.blacklist:
        appeal_day = local_day(at) + dt.timedelta(days=APPEAL_DAYS)
        due = dt.datetime.combine(appeal_day, dt.time.max, tzinfo=SHANGHAI).astimezone(dt.UTC)
        values |= {"lines": lines, "term_months": decision.term_months, "appeal_due": due}
    before, after = transition.move(
        session, proposal, RULES, "list" if decision.blacklist else "not_list", common.roles_of(actor), values=values
    )
    evidence = _evidence_list(session, proposal)
    params: dict[str, Any] = {"adjuster": proposal.adjuster.name}
    if decision.blacklist:
        entry = _list(session, actor, proposal, text, at)
        params |= {"until": entry.valid_until.isoformat() if entry.valid_until else None}
        params |= {"due": format_local(proposal.appeal_due)}
    common.record(
        session,
        actor,
        "neutrality.listed" if decision.blacklist else "neutrality.not_listed",
        proposal,
        at=at,
        broker_id=proposal.broker_id,
        before={"state": before},
        after={
            "state": after,
            "lines": proposal.lines,
            "term_months": proposal.term_months,
            "evidence": evidence,
            "entry_id": str(proposal.entry_id) if proposal.entry_id else None,
        },
        reason=text,
    )
    common.tell(
        session,
        common.adjuster_side(session, proposal.adjuster),
        "neutrality.listed" if decision.blacklist else "neutrality.not_listed",
        at=at,
        link=link(proposal),
        key=f"neutrality:{proposal.id}:{after}",
        params=params,
        reason=f"{text} ({'、'.join(evidence)})",
    )
    return proposal


def _list(session: Session, actor: Actor, proposal: Proposal, reason: str, at: dt.datetime) -> BlacklistEntry:
    start = local_day(at)
    entry = party_service.add_to_blacklist(
        session,
        actor,
        at=at,
        reason=reason,
        valid_from=start,
        valid_until=_term_end(start, proposal.term_months),
        adjuster_id=proposal.adjuster_id,
        lines=proposal.lines,
    )
    proposal.entry_id = entry.id
    session.flush()
    if entry.valid_until is not None:
        after_term = dt.datetime.combine(entry.valid_until + dt.timedelta(days=1), dt.time(0), tzinfo=SHANGHAI)
        enqueue(
            session,
            "neutrality.listing_end",
            {"entry_id": str(entry.id)},
            now=at,
            not_before=after_term.astimezone(dt.UTC),
            dedupe_key=f"neutrality:end:{entry.id}",
        )
    return entry


# ---- appeal ---------------------------------------------------------------------------------------


def appeal(session: Session, actor: Actor, proposal_id: Any, *, reason: str, at: dt.datetime) -> Proposal:
    """The adjuster or its firm appeals within the period."""
    proposal = scope.get_proposal(session, actor, proposal_id)
    text = reason_text(reason)
    values = {"appeal": text, "appealed_by": actor.user_id, "appealed_at": at}
    before, after = transition.move(
        session, proposal, RULES, "appeal", common.roles_of(actor), proposal, actor, at, session, values=values
    )
    common.record(
        session,
        actor,
        "neutrality.appealed",
        proposal,
        at=at,
        broker_id=proposal.broker_id,
        before={"state": before},
        after={"state": after},
        reason=text,
    )
    people = common.users_with_role(session, proposal.broker_id, Role.BROKER_ACCOUNT_MANAGER)
    people += common.users_with_role(session, proposal.broker_id, Role.BROKER_RISK_EVALUATOR)
    common.tell(
        session,
        people,
        "neutrality.appealed",
        at=at,
        link=link(proposal),
        key=f"neutrality:{proposal.id}:appealed",
        params={"adjuster": proposal.adjuster.name},
        reason=text,
    )
    return proposal


def decide_appeal(
    session: Session, actor: Actor, proposal_id: Any, *, grant: bool, reason: str, at: dt.datetime
) -> Proposal:
    """Someone who took no part decides the appeal; a granted appeal lifts the entry."""
    proposal = scope.get_proposal(session, actor, proposal_id)
    common.require_broker(actor, common.BROKER_STAFF)
    text = reason_text(reason)
    values = {"appeal_decided_by": actor.user_id, "appeal_decided_at": at, "appeal_reason": text}
    before, after = transition.move(
        session,
        proposal,
        RULES,
        "grant" if grant else "dismiss",
        common.roles_of(actor),
        proposal,
        actor,
        at,
        session,
        values=values,
    )
    if grant and proposal.entry_id is not None:
        entry = session.get(BlacklistEntry, proposal.entry_id)
        if entry is not None and entry.state == "active":
            party_service.lift_blacklist_entry(session, actor, entry.id, at=at, reason=text)
    action = "neutrality.appeal_granted" if grant else "neutrality.appeal_dismissed"
    common.record(
        session,
        actor,
        action,
        proposal,
        at=at,
        broker_id=proposal.broker_id,
        before={"state": before},
        after={"state": after},
        reason=text,
    )
    people = common.adjuster_side(session, proposal.adjuster)
    people += common.users_with_role(session, proposal.broker_id, Role.BROKER_ACCOUNT_MANAGER)
    common.tell(
        session,
        people,
        action,
        at=at,
        link=link(proposal),
        key=f"neutrality:{proposal.id}:{after}",
        params={"adjuster": proposal.adjuster.name},
        reason=text,
        skip=actor.user_id,
    )
    return proposal


def end_listing(session: Session, entry_id: uuid.UUID, at: dt.datetime) -> bool:
    """At the end of its term an entry ends (on the record, and its people are told); False when it was
    lifted before or its term is not over."""
    entry = session.get(BlacklistEntry, entry_id)
    today = local_day(at)
    if entry is None or entry.state != "active" or entry.valid_until is None or entry.valid_until >= today:
        return False
    party_service.end_blacklist_entry(session, entry, at=at)
    if entry.adjuster is not None:
        common.tell(
            session,
            common.adjuster_side(session, entry.adjuster)
            + common.users_with_role(session, entry.broker_id, Role.BROKER_ACCOUNT_MANAGER),
            "neutrality.listing_ended",
            at=at,
            link="/blacklist",
            key=f"neutrality:{entry.id}:ended",
            params={"adjuster": entry.adjuster.name},
        )
    return True
