"""Expert pools API: sharing, suggestions for a claim, engagements."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tandem.access import scope
from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep
from tandem.expert import engagement as svc
from tandem.expert import service
from tandem.kit.limits import REASON_MAX
from tandem.party.models import Visibility
from tandem.routing.service import PROVINCES
from tandem.schemas import Strict

router = APIRouter(prefix="/api/v1", tags=["experts"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}


def province_of(location: str) -> str | None:
    """The province a claim's address starts with (or first names), if any."""
    found = [(location.find(p), p) for p in PROVINCES if p in location]
    return min(found)[1] if found else None


class SharingIn(Strict):
    visibility: Visibility
    organisation_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)


class SharingOut(BaseModel):
    id: uuid.UUID
    visibility: str
    organisation_ids: list[uuid.UUID]


class Suggestion(BaseModel):
    expert_id: uuid.UUID
    external_id: str | None = None
    name: str
    title: str | None = None
    employer: str | None = None
    owner_id: uuid.UUID
    score: float
    meets_filters: bool
    matched: list[str]


class Suggestions(BaseModel):
    line: str | None = None
    region: str | None = None
    items: list[Suggestion]


class EngagementIn(Strict):
    expert_id: uuid.UUID
    fee_basis: Annotated[str | None, Field(max_length=200)] = None
    note: Annotated[str | None, Field(max_length=REASON_MAX)] = None


class DecisionIn(Strict):
    reason: Annotated[str | None, Field(max_length=REASON_MAX)] = None


class ExpertContact(BaseModel):
    id: uuid.UUID
    external_id: str | None = None
    name: str
    title: str | None = None
    employer: str | None = None
    phone: str | None = None
    email: str | None = None


class EngagementOut(BaseModel):
    id: uuid.UUID
    claim_id: uuid.UUID
    status: str
    role: str
    expert: ExpertContact
    requester_org_id: uuid.UUID
    owner_org_id: uuid.UUID
    fee_basis: str | None = None
    note: str | None = None
    reason: str | None = None
    created_at: str
    decided_at: str | None = None


class EngagementList(BaseModel):
    items: list[EngagementOut]


@router.put("/experts/{expert_id}/sharing", response_model=SharingOut, responses=NF)
def put_sharing(expert_id: str, body: SharingIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> SharingOut:
    """Owner only: share the expert with no one (private), every partner, or named organisations."""
    e = svc.set_sharing(
        session,
        actor,
        expert_id,
        visibility=body.visibility,
        organisation_ids=list(body.organisation_ids),
        now=clock.now(),
    )
    return SharingOut(id=e.id, visibility=e.visibility.value, organisation_ids=svc.shared_with(session, e))


@router.get("/claims/{claim_id}/expert-suggestions", response_model=Suggestions, responses=NF)
def expert_suggestions(
    claim_id: str, actor: ActorDep, session: SessionDep, settings: SettingsDep, top: int = 10
) -> Suggestions:
    """Experts for the loss, from the pools the caller may see, softly filtered to its line and region."""
    claim = scope.get_claim(session, actor, claim_id)
    line, region = claim.policy.line, province_of(claim.location)
    allowed = service.keys_of(session, scope.visible_experts(actor))
    hits = (
        service.search(
            session,
            settings,
            f"{claim.description} {claim.location}",
            line=line,
            region=region,
            top=max(1, min(top, 50)),
            allowed=allowed,
        )
        if allowed
        else []
    )
    rows = service.experts_by_key(session, [h.id for h in hits]) if hits else {}
    items = [
        Suggestion(
            expert_id=rows[h.id].id,
            external_id=rows[h.id].external_id,
            name=h.name,
            title=rows[h.id].title,
            employer=rows[h.id].employer,
            owner_id=rows[h.id].owner_id,
            score=round(h.score, 6),
            meets_filters=h.meets_filters,
            matched=h.matched,
        )
        for h in hits
        if h.id in rows
    ]
    return Suggestions(line=line, region=region, items=items)


@router.post("/claims/{claim_id}/engagements", response_model=EngagementOut, status_code=201, responses=NF)
def post_engagement(
    claim_id: str, body: EngagementIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> EngagementOut:
    """Ask the owner of a visible expert to engage the expert on this claim."""
    eng = svc.request(
        session, actor, claim_id, expert_id=body.expert_id, fee_basis=body.fee_basis, note=body.note, now=clock.now()
    )
    return EngagementOut.model_validate(svc.engagement_out(eng, actor))


@router.post("/engagements/{engagement_id}/accept", response_model=EngagementOut, responses=NF)
def accept_engagement(
    engagement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep, body: DecisionIn | None = None
) -> EngagementOut:
    eng = svc.decide(session, actor, engagement_id, accept=True, reason=body.reason if body else None, now=clock.now())
    return EngagementOut.model_validate(svc.engagement_out(eng, actor))


@router.post("/engagements/{engagement_id}/decline", response_model=EngagementOut, responses=NF)
def decline_engagement(
    engagement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep, body: DecisionIn | None = None
) -> EngagementOut:
    eng = svc.decide(session, actor, engagement_id, accept=False, reason=body.reason if body else None, now=clock.now())
    return EngagementOut.model_validate(svc.engagement_out(eng, actor))


@router.get("/engagements", response_model=EngagementList)
def list_engagements(actor: ActorDep, session: SessionDep) -> EngagementList:
    """Engagements the caller's organisation requested or owns the expert of."""
    return EngagementList(
        items=[EngagementOut.model_validate(svc.engagement_out(e, actor)) for e in svc.mine(session, actor)]
    )
