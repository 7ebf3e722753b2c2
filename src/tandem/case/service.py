"""What every case kind shares: opening a case, audiences, participations (参与方), the adjuster's side."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.audit import service as audit
from tandem.case import audience
from tandem.case.models import CASE_NUMBER_PREFIX, Case, CaseKind
from tandem.case.numbering import next_number
from tandem.claim.lifecycle import deadline_jobs
from tandem.claim.models import Claim, Deadline, Participation, PartyRole, TeamMember
from tandem.kit.errors import ActionNotAllowed, NotFound
from tandem.notification.outbox import enqueue_all
from tandem.party.models import Adjuster

# Audiences of timeline events and messages name sides on the case (tandem.case.audience).
ALL = audience.ALL
AUDIENCES = audience.CHANNELS


def case_id_of(subject: Claim | Case) -> uuid.UUID:
    """The case of a claim (or the case itself)."""
    return subject.case_id if isinstance(subject, Claim) else subject.id


def participant_roles(session: Session, claim: Claim | Case, org_id: uuid.UUID) -> set[PartyRole]:
    """The party roles an organisation holds on the case now."""
    return {PartyRole(side) for side in audience.sides_of(session, case_id_of(claim), org_id)}


def require_party(session: Session, actor: Actor, claim: Claim | Case, role: PartyRole) -> None:
    if role not in participant_roles(session, claim, actor.org_id):
        raise ActionNotAllowed()


def adjuster_side(session: Session, actor: Actor, claim: Claim | Case) -> str:
    """'a' for the broker's adjuster firm, 'b' for the insurer's own; 403 for anybody else."""
    roles = participant_roles(session, claim, actor.org_id)
    if PartyRole.ADJUSTER in roles:
        return "a"
    if PartyRole.INSURER_ADJUSTER in roles:
        return "b"
    raise ActionNotAllowed()


def open_case(
    session: Session,
    kind: CaseKind,
    *,
    now: dt.datetime,
    number: str | None = None,
    case_id: uuid.UUID | None = None,
) -> Case:
    """Open a case of ``kind`` numbered from its own sequence (TB-2026-000001 for placements) unless the
    caller numbered it already (a claim keeps its LP- number); flushed, so rows can hang off it at once."""
    case = Case(
        kind=kind,
        number=number or next_number(session, now, CASE_NUMBER_PREFIX[kind]),
        created_at=now,
    )
    if case_id is not None:
        case.id = case_id
    session.add(case)
    session.flush()
    return case


def add_participant(
    session: Session, case: Case, organisation_id: uuid.UUID, role: PartyRole, *, now: dt.datetime
) -> Participation:
    """An organisation takes part in the case with ``role`` from now on (idempotent while it does)."""
    found = session.execute(
        select(Participation).where(
            Participation.case_id == case.id,
            Participation.organisation_id == organisation_id,
            Participation.party_role == role,
        )
    ).scalar_one_or_none()
    if found is not None:
        return found
    part = Participation(case_id=case.id, organisation_id=organisation_id, party_role=role, since=now)
    if case.kind == CaseKind.CLAIM:
        part.claim_id = case.id
    session.add(part)
    session.flush()
    return part


def team(session: Session, claim: Claim | Case, firm_id: uuid.UUID | None = None) -> list[TeamMember]:
    """The adjusters working the case (lead and seconds), of one firm if given, oldest first."""
    stmt = select(TeamMember).where(TeamMember.case_id == case_id_of(claim)).order_by(TeamMember.since)
    if firm_id is not None:
        stmt = stmt.join(Adjuster, Adjuster.id == TeamMember.adjuster_id).where(Adjuster.firm_id == firm_id)
    return list(session.execute(stmt).unique().scalars())


def chain_key(claim: Claim | Case) -> str:
    """The key of the case's audit hash chain."""
    return f"case:{case_id_of(claim)}"


def record_event(
    session: Session,
    actor: Actor | None,
    claim: Claim | Case,
    action: str,
    *,
    now: dt.datetime,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    audience: list[str] | None = None,
) -> None:
    """One audit event on the case's chain, about the claim (for a claim) or the case."""
    audit.record(
        session,
        actor.ref if actor else audit.SYSTEM,
        action=action,
        entity_type="claim" if isinstance(claim, Claim) else "case",
        entity_id=claim.id,
        at=now,
        chain_key=chain_key(claim),
        after=after,
        reason=reason,
        request_id=actor.request_id if actor else None,
        audience=audience,
    )


# ---- deadlines (SLA clocks) ------------------------------------------------------------------------


def start_deadline(
    session: Session, claim: Claim | Case, kind: str, holder: str, *, now: dt.datetime, due: dt.datetime
) -> None:
    """Start (or restart) the case's clock ``kind``, held by the party kind ``holder``; checked when due."""
    case_id = case_id_of(claim)
    existing = session.execute(
        select(Deadline).where(Deadline.case_id == case_id, Deadline.kind == kind)
    ).scalar_one_or_none()
    if existing is None:
        session.add(
            Deadline(
                case_id=case_id,
                claim_id=claim.id if isinstance(claim, Claim) else None,
                kind=kind,
                holder=holder,
                started_at=now,
                due_at=due,
            )
        )
    else:
        existing.started_at, existing.due_at, existing.stopped_at, existing.holder = now, due, None, holder
    session.flush()
    enqueue_all(session, deadline_jobs(case_id, kind, now, due), now=now)


def stop_deadline(session: Session, claim: Claim | Case, kind: str, *, now: dt.datetime) -> None:
    session.execute(
        update(Deadline)
        .where(Deadline.case_id == case_id_of(claim), Deadline.kind == kind, Deadline.stopped_at.is_(None))
        .values(stopped_at=now)
    )


def deadlines(session: Session, claim: Claim | Case) -> list[Deadline]:
    return list(
        session.execute(
            select(Deadline).where(Deadline.case_id == case_id_of(claim)).order_by(Deadline.due_at)
        ).scalars()
    )


def get_subject(session: Session, actor: Actor, case_id: object) -> Claim | Case:
    """The case file the actor may see: the claim of a claim case, the case itself for any other kind;
    NotFound for both "does not exist" and "not yours" (the access chokepoint decides)."""
    try:
        return scope.get_claim(session, actor, case_id)
    except NotFound:
        return scope.get_case(session, actor, case_id)
