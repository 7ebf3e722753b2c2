"""Recusal at the practitioner level (回避): adjusters declare their interests (利害关系) in the insurers and
insureds they might meet, and routing excludes them from those organisations' cases with
``conflict_of_interest``, naming the declaration to the broker who routes.

Employment counts for two years after it ended; a shareholding or a relative counts until it ended."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind
from tandem.audit import service as audit
from tandem.kit.errors import ActionNotAllowed, InvalidInput, NotFound
from tandem.kit.limits import REASON_MAX
from tandem.neutrality import common
from tandem.neutrality.models import InterestDeclaration
from tandem.premium.engine import add_months

KINDS = ("employment", "shareholding", "relative")
EMPLOYMENT_YEARS = 2
# Whom an adjuster may have an interest in: the parties it might meet on a case.
COUNTERPARTIES = (OrgKind.INSURER, OrgKind.INSURED)
READERS = frozenset({OrgKind.BROKER, OrgKind.ADJUSTER_FIRM, OrgKind.SUPERVISION, OrgKind.PLATFORM})


@dataclass(frozen=True)
class NewDeclaration:
    organisation_id: uuid.UUID
    kind: str
    detail: str
    ended_on: dt.date | None = None


def in_force(d: InterestDeclaration, today: dt.date) -> bool:
    if d.ended_on is None:
        return True
    if d.kind == "employment":
        return dt.date(*add_months(d.ended_on, 12 * EMPLOYMENT_YEARS)) >= today
    return d.ended_on >= today


def conflicts(
    session: Session, adjuster_id: uuid.UUID, parties: Iterable[uuid.UUID], today: dt.date
) -> list[InterestDeclaration]:
    """The adjuster's declarations in force today that concern one of the case's parties."""
    orgs = [p for p in parties if p is not None]
    if not orgs:
        return []
    stmt = select(InterestDeclaration).where(
        InterestDeclaration.adjuster_id == adjuster_id, InterestDeclaration.organisation_id.in_(orgs)
    )
    return [d for d in session.execute(stmt).unique().scalars() if in_force(d, today)]


def label(d: InterestDeclaration) -> str:
    """How routing names a declaration: ``kind:organisation``."""
    return f"{d.kind}:{d.organisation.name}"


def declare(
    session: Session, actor: Actor, adjuster_id: object, new: NewDeclaration, *, at: dt.datetime
) -> InterestDeclaration:
    """The adjuster itself, or its firm's administrator, declares an interest."""
    adj = scope.get_adjuster(session, actor, adjuster_id)
    if not common.speaks_for(actor, adj):
        raise ActionNotAllowed()
    if new.kind not in KINDS:
        raise InvalidInput("Unknown kind of interest.", fields={"kind": "one of " + ", ".join(KINDS)})
    detail = new.detail.strip()
    if not detail:
        raise InvalidInput("Describe the interest.", fields={"detail": "required"})
    if len(detail) > REASON_MAX:
        raise InvalidInput("The text is too long.", fields={"detail": f"at most {REASON_MAX} characters"})
    org = session.get(Organisation, new.organisation_id)
    if org is None or org.kind not in COUNTERPARTIES:
        raise InvalidInput("Name an insurer or an insured.", fields={"organisation_id": "insurer or insured"})
    d = InterestDeclaration(
        adjuster_id=adj.id,
        organisation_id=org.id,
        kind=new.kind,
        detail=detail,
        ended_on=new.ended_on,
        declared_by=actor.user_id,
        declared_at=at,
    )
    d.organisation = org
    session.add(d)
    session.flush()
    audit.record(
        session,
        actor.ref,
        action="neutrality.interest_declared",
        entity_type="interest_declaration",
        entity_id=d.id,
        at=at,
        chain_key=f"org:{adj.firm_id}",
        after={
            "adjuster_id": str(adj.id),
            "organisation_id": str(org.id),
            "kind": d.kind,
            "ended_on": d.ended_on.isoformat() if d.ended_on else None,
        },
        reason=detail,
        request_id=actor.request_id,
    )
    return d


def declarations(session: Session, actor: Actor, adjuster_id: object) -> list[InterestDeclaration]:
    """An adjuster's declarations, for the broker, supervision, the platform and the adjuster's side."""
    if actor.org_kind not in READERS:
        raise NotFound()
    adj = scope.get_adjuster(session, actor, adjuster_id)
    stmt = (
        select(InterestDeclaration)
        .where(InterestDeclaration.adjuster_id == adj.id)
        .order_by(InterestDeclaration.declared_at, InterestDeclaration.id)
    )
    return list(session.execute(stmt).unique().scalars())
