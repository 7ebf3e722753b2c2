"""Sharing expert pools and engaging experts on claims (R-C6).

Every lookup goes through the access chokepoint: a claim the actor does not take part in, an expert it
may not see, an engagement it does not own all answer ``NotFound`` — the same as a missing id."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, User, UserRole
from tandem.access.permissions import MATRIX, Perm
from tandem.audit import service as audit
from tandem.claim.models import Claim, Participation
from tandem.expert import service
from tandem.expert.models import Engagement, EngagementStatus
from tandem.kit import transition
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound, StateChanged
from tandem.notification.service import notify
from tandem.party.models import Expert, ExpertShare, Visibility

POOL_KINDS = (OrgKind.BROKER, OrgKind.ADJUSTER_FIRM)
# The engagement lifecycle: only a pending request can be decided, once. Who may decide is the owner
# with MANAGE_EXPERTS (checked before the table).
ENGAGEMENT_RULES: transition.Table = {
    ("requested", "accept"): transition.Rule("accepted", frozenset()),
    ("requested", "decline"): transition.Rule("declined", frozenset()),
}


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def owned_expert(session: Session, actor: Actor, expert_id: Any) -> Expert:
    """An expert of the actor's own pool (others: NotFound, even when shared with the actor)."""
    key = _uuid(expert_id)
    if key is None:
        raise NotFound()
    e = (
        session.execute(select(Expert).where(Expert.id == key, Expert.owner_id == actor.org_id))
        .unique()
        .scalar_one_or_none()
    )
    if e is None:
        raise NotFound()
    return e


def shared_with(session: Session, expert: Expert) -> list[uuid.UUID]:
    return list(
        session.execute(
            select(ExpertShare.organisation_id)
            .where(ExpertShare.expert_id == expert.id)
            .order_by(ExpertShare.organisation_id)
        ).scalars()
    )


def set_sharing(
    session: Session,
    actor: Actor,
    expert_id: Any,
    *,
    visibility: Visibility,
    organisation_ids: list[uuid.UUID],
    now: dt.datetime,
) -> Expert:
    expert = owned_expert(session, actor, expert_id)
    if not actor.can(Perm.MANAGE_EXPERTS):
        raise ActionNotAllowed()
    targets = sorted(set(organisation_ids) - {actor.org_id})
    if visibility is Visibility.NAMED:
        if not targets:
            raise InvalidInput(fields={"organisation_ids": "required for named sharing"})
        found = set(
            session.execute(
                select(Organisation.id).where(Organisation.id.in_(targets), Organisation.kind.in_(POOL_KINDS))
            ).scalars()
        )
        if found != set(targets):
            raise InvalidInput(fields={"organisation_ids": "brokers or adjuster firms only"})
    elif targets:
        raise InvalidInput(fields={"organisation_ids": "only with named sharing"})
    before = {"visibility": expert.visibility.value, "organisation_ids": [str(o) for o in shared_with(session, expert)]}
    session.execute(delete(ExpertShare).where(ExpertShare.expert_id == expert.id))
    for org_id in targets:
        session.add(ExpertShare(expert_id=expert.id, organisation_id=org_id))
    expert.visibility = visibility
    expert.updated_at = now
    audit.record(
        session,
        actor.ref,
        action="expert.sharing_set",
        entity_type="expert",
        entity_id=expert.id,
        at=now,
        before=before,
        request_id=actor.request_id,
        after={"visibility": visibility.value, "organisation_ids": [str(o) for o in targets]},
    )
    session.flush()
    return expert


def _participates(session: Session, claim: Claim, org_id: uuid.UUID) -> bool:
    return (
        session.execute(
            select(Participation.id)
            .where(
                Participation.claim_id == claim.id,
                Participation.organisation_id == org_id,
                Participation.until.is_(None),
            )
            .limit(1)
        ).first()
        is not None
    )


def request(
    session: Session,
    actor: Actor,
    claim_id: Any,
    *,
    expert_id: Any,
    fee_basis: str | None,
    note: str | None,
    now: dt.datetime,
) -> Engagement:
    claim = scope.get_claim(session, actor, claim_id)
    if actor.org_kind not in POOL_KINDS or not _participates(session, claim, actor.org_id):
        raise ActionNotAllowed()
    key = _uuid(expert_id)
    expert = (
        None
        if key is None
        else session.execute(scope.visible_experts(actor).where(Expert.id == key)).unique().scalar_one_or_none()
    )
    if expert is None:
        raise InvalidInput(fields={"expert_id": "not an expert your organisation may see"})
    open_one = session.execute(
        select(Engagement.id).where(
            Engagement.claim_id == claim.id,
            Engagement.expert_id == expert.id,
            Engagement.requester_org_id == actor.org_id,
            Engagement.status.in_([EngagementStatus.REQUESTED, EngagementStatus.ACCEPTED]),
        )
    ).first()
    if open_one is not None:
        raise Conflict()
    eng = Engagement(
        case_id=claim.case_id,
        claim_id=claim.id,
        expert_id=expert.id,
        requester_org_id=actor.org_id,
        owner_org_id=expert.owner_id,
        requested_by=actor.user_id,
        status=EngagementStatus.REQUESTED,
        fee_basis=fee_basis or expert.fee_basis,
        note=note,
        created_at=now,
    )
    session.add(eng)
    session.flush()
    audit.record(
        session,
        actor.ref,
        action="engagement.requested",
        entity_type="expert_engagement",
        entity_id=eng.id,
        at=now,
        request_id=actor.request_id,
        after={"claim_id": str(claim.id), "expert_id": str(expert.id), "owner_org_id": str(expert.owner_id)},
    )
    deciders = list(
        session.execute(
            select(User)
            .join(UserRole)
            .where(
                User.organisation_id == expert.owner_id,
                User.active.is_(True),
                UserRole.role.in_(sorted(MATRIX[Perm.MANAGE_EXPERTS])),
            )
        )
        .unique()
        .scalars()
    )
    notify(
        session,
        deciders,
        subject=f"【专家委托】{claim.number}：{expert.name}",
        body=f"{actor.org_name}请求委托专家{expert.name}（{eng.fee_basis or '费用另议'}）。{note or ''}".strip(),
        now=now,
        link="/experts/engagements",
        key=f"engagement:{eng.id}:requested",
    )
    return eng


def owned_engagement(session: Session, actor: Actor, engagement_id: Any) -> Engagement:
    key = _uuid(engagement_id)
    if key is None:
        raise NotFound()
    eng = (
        session.execute(
            select(Engagement)
            .where(Engagement.id == key, Engagement.owner_org_id == actor.org_id)
            .with_for_update(of=Engagement)
        )
        .unique()
        .scalar_one_or_none()
    )
    if eng is None:
        raise NotFound()
    return eng


def decide(
    session: Session, actor: Actor, engagement_id: Any, *, accept: bool, reason: str | None, now: dt.datetime
) -> Engagement:
    eng = owned_engagement(session, actor, engagement_id)
    if not actor.can(Perm.MANAGE_EXPERTS):
        raise ActionNotAllowed()
    rule = transition.resolve(ENGAGEMENT_RULES, eng.status.value, "accept" if accept else "decline", frozenset())
    if not accept and not (reason or "").strip():
        raise InvalidInput("A reason is required.", fields={"reason": "required"})
    decided = session.execute(
        update(Engagement)
        .where(Engagement.id == eng.id, Engagement.status == eng.status)
        .values(status=EngagementStatus(rule.to), reason=reason, decided_at=now, decided_by=actor.user_id)
        .returning(Engagement.id)
    ).first()
    if decided is None:  # decided concurrently by another user of the owner
        raise StateChanged()
    session.refresh(eng)
    after = {
        "engagement_id": str(eng.id),
        "expert_id": str(eng.expert_id),
        "expert": eng.expert.name,
        "requester_org_id": str(eng.requester_org_id),
        "owner_org_id": str(eng.owner_org_id),
        "status": eng.status.value,
        "fee_basis": eng.fee_basis,
    }
    if accept:
        # On the case: the case chain, seen by the parties on the timeline of the case file.
        audit.record(
            session,
            actor.ref,
            action="claim.expert_engaged",
            entity_type="claim",
            entity_id=eng.claim_id,
            at=now,
            chain_key=f"case:{eng.claim_id}",
            after=after,
            request_id=actor.request_id,
            audience=["broker", "insurer", "adjuster_firm"],
        )
    else:
        audit.record(
            session,
            actor.ref,
            action="engagement.declined",
            entity_type="expert_engagement",
            entity_id=eng.id,
            at=now,
            after=after,
            reason=reason,
            request_id=actor.request_id,
        )
    requester = session.get(User, eng.requested_by)
    verdict = "已接受" if accept else f"已拒绝：{reason}"
    notify(
        session,
        [requester] if requester else [],
        subject=f"【专家委托】{eng.expert.name}{verdict}",
        body=f"{eng.expert.name}（{eng.fee_basis or '费用另议'}）{verdict}",
        now=now,
        link=f"/claims/{eng.claim_id}",
        key=f"engagement:{eng.id}:{rule.to}",
    )
    session.flush()
    return eng


def mine(session: Session, actor: Actor) -> list[Engagement]:
    return list(
        session.execute(
            select(Engagement)
            .where(or_(Engagement.requester_org_id == actor.org_id, Engagement.owner_org_id == actor.org_id))
            .order_by(Engagement.created_at.desc(), Engagement.id)
        )
        .unique()
        .scalars()
    )


def accepted_on_claim(session: Session, claim_id: uuid.UUID) -> list[Engagement]:
    return list(
        session.execute(
            select(Engagement)
            .where(Engagement.claim_id == claim_id, Engagement.status == EngagementStatus.ACCEPTED)
            .order_by(Engagement.decided_at)
        )
        .unique()
        .scalars()
    )


def shows_contact(eng: Engagement, actor: Actor) -> bool:
    """Personal contact data: the owner always knows its own expert; the requester once accepted."""
    if actor.org_id == eng.owner_org_id:
        return True
    return eng.status is EngagementStatus.ACCEPTED and actor.org_id == eng.requester_org_id


def sees_contact(session: Session, actor: Actor, expert: Expert) -> bool:
    """:func:`shows_contact` for a profile: the owner, or an organisation with an accepted engagement."""
    if actor.org_id == expert.owner_id:
        return True
    return (
        session.execute(
            select(Engagement.id)
            .where(
                Engagement.expert_id == expert.id,
                Engagement.requester_org_id == actor.org_id,
                Engagement.status == EngagementStatus.ACCEPTED,
            )
            .limit(1)
        ).first()
        is not None
    )


def on_claim(session: Session, actor: Actor, claim: Claim) -> list[Engagement]:
    """The claim's engagements the actor may see: all of its own organisation's (as requester or owner),
    and the accepted ones, which are on the case for every party."""
    return list(
        session.execute(
            select(Engagement)
            .where(
                Engagement.claim_id == claim.id,
                or_(
                    Engagement.status == EngagementStatus.ACCEPTED,
                    Engagement.requester_org_id == actor.org_id,
                    Engagement.owner_org_id == actor.org_id,
                ),
            )
            .order_by(Engagement.created_at, Engagement.id)
        )
        .unique()
        .scalars()
    )


def update_profile(session: Session, actor: Actor, expert_id: Any, profile: dict[str, Any], now: dt.datetime) -> Expert:
    """Owner only: replace the profile's values (checked by ``service.check_profile``, which raises the
    first :class:`service.ProfileError`); the search index picks the change up by ``updated_at``."""
    expert = owned_expert(session, actor, expert_id)
    if not actor.can(Perm.MANAGE_EXPERTS):
        raise ActionNotAllowed()
    values, errors = service.check_profile(
        {**profile, "id": expert.external_id or str(expert.id), "owner_type": expert.owner.kind.value}
    )
    if errors:
        raise errors[0]
    fields = ("name", "title", "employer", "bio", "phone", "email", "fee_basis", "years", "extra", *service.LIST_KEYS)
    before = {f: getattr(expert, f) for f in fields if getattr(expert, f) != values[f]}
    if not before:
        return expert
    for f in before:
        setattr(expert, f, values[f])
    service.touch(expert, now)
    audit.record(
        session,
        actor.ref,
        action="expert.updated",
        entity_type="expert",
        entity_id=expert.id,
        at=now,
        before=before,
        after={f: values[f] for f in before},
        request_id=actor.request_id,
    )
    session.flush()
    return expert


def engagement_out(eng: Engagement, actor: Actor) -> dict[str, Any]:
    e = eng.expert
    contact = shows_contact(eng, actor)
    # The request's note and a decline's reason are between the two firms; the other parties of the case
    # see that an expert was engaged, at what fee, not what the firms wrote to each other.
    between = actor.org_id in (eng.requester_org_id, eng.owner_org_id)
    return {
        "id": str(eng.id),
        "claim_id": str(eng.claim_id),
        "status": eng.status.value,
        "expert": {
            "id": str(e.id),
            "external_id": e.external_id,
            "name": e.name,
            "title": e.title,
            "employer": e.employer,
            "phone": e.phone if contact else None,
            "email": e.email if contact else None,
        },
        "requester_org_id": str(eng.requester_org_id),
        "owner_org_id": str(eng.owner_org_id),
        "role": (
            "owner"
            if actor.org_id == eng.owner_org_id
            else "requester"
            if actor.org_id == eng.requester_org_id
            else "party"
        ),
        "fee_basis": eng.fee_basis,
        "note": eng.note if between else None,
        "reason": eng.reason if between else None,
        "created_at": eng.created_at.isoformat(),
        "decided_at": eng.decided_at.isoformat() if eng.decided_at else None,
    }
