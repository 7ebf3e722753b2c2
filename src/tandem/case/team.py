"""The adjusters who work a case (资产评估法 Art. 24: the firm's lead and at least one second): only
they may sign its reports."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.case import audience
from tandem.case.models import Case
from tandem.case.service import adjuster_side, case_id_of, record_event
from tandem.claim.models import Claim, TeamMember, TeamRole
from tandem.kit.clock import local_day
from tandem.kit.errors import Conflict, InvalidInput, NotFound
from tandem.party.service import ineligibility_words
from tandem.routing.service import case_subject, evaluate

# The firm was screened when appointed; a second may be a junior outside its line or area.
NOT_BLOCKING = ("over_capacity", "not_qualified_for_line", "outside_area", "conflict_of_interest")


def subject_broker(session: Session, claim: Claim | Case) -> uuid.UUID | None:
    """The broker whose blacklist applies: the claim's, or the broker taking part in the case."""
    return claim.broker_id if isinstance(claim, Claim) else case_subject(session, claim).broker_id


def add_team_member(
    session: Session, actor: Actor, claim: Claim | Case, adjuster_id: object, *, now: dt.datetime
) -> TeamMember:
    """A firm acting on the case adds one of its adjusters as a second, after the routing checks that
    matter for a person (qualification, re-verification, filing, blacklist)."""
    side = adjuster_side(session, actor, claim)
    adj = scope.get_adjuster(session, actor, adjuster_id)
    if adj.firm_id != actor.org_id:
        raise NotFound()
    rec = evaluate(session, claim if isinstance(claim, Claim) else case_subject(session, claim), adj, now)
    blocking = [r for r in rec.reasons if r not in NOT_BLOCKING]
    if blocking:  # named in words beside the field (issue 22 item 6)
        why = ineligibility_words(session, adj, local_day(now), subject_broker(session, claim)) or adj.name
        raise InvalidInput("This adjuster cannot work the case: {why}.", why=why, fields={"adjuster_id": str(why)})
    if session.execute(
        select(TeamMember.id).where(TeamMember.case_id == case_id_of(claim), TeamMember.adjuster_id == adj.id)
    ).first():
        raise Conflict("Already on the case.", fields={"adjuster_id": "already on the case"})
    member = TeamMember(
        case_id=case_id_of(claim),
        claim_id=claim.id if isinstance(claim, Claim) else None,
        adjuster_id=adj.id,
        role=TeamRole.SECOND,
        since=now,
    )
    session.add(member)
    session.flush()
    record_event(
        session,
        actor,
        claim,
        f"{'claim' if isinstance(claim, Claim) else 'case'}.team_member_added",
        now=now,
        after={"adjuster_id": str(adj.id), "name": adj.name},
        audience=[audience.BROKER, audience.FIRM_A if side == "a" else audience.FIRM_B],
    )
    return member
