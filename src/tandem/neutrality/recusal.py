"""Recusal requests (回避申请): any party on a case asks, with reasons, that an adjuster step aside from it;
the case's broker (an account manager) grants or refuses with reasons. Every step is on the case's
record (its audit chain); a granted request keeps the adjuster from the case's routing."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Role, User
from tandem.audit import service as audit
from tandem.case.audience import ALL
from tandem.claim.models import Participation, PartyRole
from tandem.kit import transition
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound
from tandem.kit.limits import reason_text
from tandem.neutrality import common, findings
from tandem.neutrality.models import RecusalRequest
from tandem.party.models import Adjuster


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _the_cases_broker(req: RecusalRequest, actor: Actor, session: Session) -> None:
    if broker_of(session, req.case_id) != actor.org_id:
        raise ActionNotAllowed()


RULES: transition.Table = {
    ("requested", "grant"): transition.Rule("granted", common.MANAGERS, _the_cases_broker),
    ("requested", "refuse"): transition.Rule("refused", common.MANAGERS, _the_cases_broker),
}


def broker_of(session: Session, case_id: uuid.UUID) -> uuid.UUID | None:
    return session.execute(
        select(Participation.organisation_id).where(
            Participation.case_id == case_id,
            Participation.party_role == PartyRole.BROKER,
            Participation.until.is_(None),
        )
    ).scalar()


def granted_on(session: Session, case_id: uuid.UUID, adjuster_id: uuid.UUID) -> bool:
    """Routing: the adjuster was recused from this case."""
    stmt = select(RecusalRequest.id).where(
        RecusalRequest.case_id == case_id,
        RecusalRequest.adjuster_id == adjuster_id,
        RecusalRequest.state == "granted",
    )
    return session.execute(stmt).first() is not None


def _record(session: Session, actor: Actor, req: RecusalRequest, action: str, at: dt.datetime, **kw: Any) -> None:
    audit.record(
        session,
        actor.ref,
        action=action,
        entity_type="recusal_request",
        entity_id=req.id,
        at=at,
        chain_key=f"case:{req.case_id}",
        request_id=actor.request_id,
        audience=list(ALL),  # every party on the case sees the request and the decision on the timeline
        **kw,
    )


def request(
    session: Session, actor: Actor, case_id: Any, adjuster_id: Any, reason: str, *, at: dt.datetime
) -> RecusalRequest:
    """A party on the case asks that the adjuster step aside."""
    if actor.read_only:
        raise ActionNotAllowed()
    case = scope.get_case(session, actor, case_id)
    text = reason_text(reason)
    adj = session.get(Adjuster, _uuid(adjuster_id)) if _uuid(adjuster_id) else None
    if adj is None or not findings.worked_on(session, case.id, adj.id):
        raise InvalidInput("This adjuster did not work on this case.", fields={"adjuster_id": "not on the case"})
    if broker_of(session, case.id) is None:
        raise Conflict("This case has no broker to decide a recusal.")
    req = RecusalRequest(
        case_id=case.id,
        adjuster_id=adj.id,
        requested_by=actor.user_id,
        requesting_org_id=actor.org_id,
        reason=text,
        requested_at=at,
        state="requested",
    )
    session.add(req)
    session.flush()
    _record(session, actor, req, "neutrality.recusal_requested", at, after={"adjuster_id": str(adj.id)}, reason=text)
    broker = broker_of(session, case.id)
    assert broker is not None
    common.tell(
        session,
        common.users_with_role(session, broker, Role.BROKER_ACCOUNT_MANAGER),
        "neutrality.recusal_requested",
        at=at,
        link=f"/claims/{case.id}",
        key=f"recusal:{req.id}:requested",
        params={"adjuster": adj.name, "case": case.number},
        reason=text,
    )
    return req


def get(session: Session, actor: Actor, recusal_id: Any) -> RecusalRequest:
    """A request, if the actor's organisation takes part in its case (else not found)."""
    key = _uuid(recusal_id)
    req = session.get(RecusalRequest, key) if key else None
    if req is None:
        raise NotFound()
    scope.get_case(session, actor, req.case_id)
    return req


def decide(
    session: Session, actor: Actor, recusal_id: Any, *, grant: bool, reason: str, at: dt.datetime
) -> RecusalRequest:
    """The case's broker grants or refuses, with reasons; of two concurrent decisions one wins."""
    req = get(session, actor, recusal_id)
    common.require_broker(actor, common.MANAGERS)
    text = reason_text(reason)
    values = {"decided_by": actor.user_id, "decided_at": at, "decision_reason": text}
    action = "grant" if grant else "refuse"
    before, after = transition.move(
        session, req, RULES, action, common.roles_of(actor), req, actor, session, values=values
    )
    common.tell(
        session,
        [u for u in [session.get(User, req.requested_by)] if u is not None]
        + common.adjuster_side(session, req.adjuster),
        f"neutrality.recusal_{after}",
        at=at,
        link=f"/claims/{req.case_id}",
        key=f"recusal:{req.id}:{after}",
        params={"adjuster": req.adjuster.name},
        reason=text,
        skip=actor.user_id,
    )
    _record(
        session,
        actor,
        req,
        f"neutrality.recusal_{after}",
        at,
        before={"state": before},
        after={"state": after, "adjuster_id": str(req.adjuster_id)},
        reason=text,
    )
    return req


def for_case(session: Session, actor: Actor, case_id: Any) -> list[RecusalRequest]:
    case = scope.get_case(session, actor, case_id)
    stmt = select(RecusalRequest).where(RecusalRequest.case_id == case.id).order_by(RecusalRequest.requested_at)
    return list(session.execute(stmt).unique().scalars())
