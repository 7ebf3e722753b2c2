"""Declared catastrophe events API (巨灾事件, issue 21): declare, list, read with the triage, tag and untag
notices by hand, assign a district's notices to a firm."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from tandem.access import scope
from tandem.claim import events
from tandem.claim.event_models import CatEvent, Peril
from tandem.claim.models import ClaimStatus
from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.schemas import MoneyOut, Strict, UtcDateTime

router = APIRouter(prefix="/api/v1", tags=["events"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}


class EventIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=120)]
    peril: Peril
    areas: Annotated[list[Annotated[str, Field(min_length=1, max_length=40)]], Field(min_length=1, max_length=50)]
    starts_at: UtcDateTime
    ends_at: UtcDateTime


class EventOut(BaseModel):
    id: uuid.UUID
    name: str
    peril: Peril
    areas: list[str]
    starts_at: dt.datetime
    ends_at: dt.datetime
    declared_at: dt.datetime
    declared_by_org: uuid.UUID
    notices: int  # tagged notices the caller may see


class EventClaimOut(BaseModel):
    id: uuid.UUID
    number: str
    status: ClaimStatus
    district: str
    location: str
    loss_at: dt.datetime
    routing_deadline: dt.datetime
    estimated_loss: MoneyOut | None = None
    band: str
    injured: bool


class DistrictOut(BaseModel):
    district: str
    total: int
    open: int
    routed: int
    injured: int


class BandOut(BaseModel):
    band: str
    open: int
    routed: int


class EventDetail(EventOut):
    districts: list[DistrictOut]
    bands: list[BandOut]
    claims: list[EventClaimOut]


class EventCreated(EventOut):
    tagged: int  # notices tagged on declaring


class TagIn(Strict):
    claim_id: uuid.UUID


class AssignIn(Strict):
    district: Annotated[str, Field(max_length=40)]
    firm_id: uuid.UUID


class AssignedOut(BaseModel):
    claim_id: uuid.UUID
    number: str
    outcome: str  # routed | refused
    adjuster: str | None = None
    code: str | None = None
    message: str | None = None


class AssignOut(BaseModel):
    routed: int
    refused: int
    results: list[AssignedOut]


def _out(e: CatEvent, notices: int) -> dict[str, Any]:
    return {
        "id": e.id,
        "name": e.name,
        "peril": e.peril,
        "areas": e.areas,
        "starts_at": e.starts_at,
        "ends_at": e.ends_at,
        "declared_at": e.declared_at,
        "declared_by_org": e.declared_by_org,
        "notices": notices,
    }


@router.get("/events", response_model=list[EventOut])
def list_events(actor: ActorDep, session: SessionDep) -> list[EventOut]:
    """The events the caller may see: its organisation's, and those on claims it takes part in."""
    rows = session.execute(scope.visible_events(actor).order_by(CatEvent.declared_at.desc())).scalars()
    return [EventOut(**_out(e, events.tagged_count(session, actor, e))) for e in rows]


@router.post("/events", response_model=EventCreated, status_code=201, responses={403: {"description": "Not allowed"}})
def declare_event(body: EventIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> EventCreated:
    """Declare an event (broker account manager or insurer claims handler); the open notices the caller sees
    whose loss place and time fall inside are tagged at once, later ones at intake."""
    cmd = events.EventInput(body.name, body.peril, tuple(body.areas), body.starts_at, body.ends_at)
    event, tagged = events.declare(session, actor, cmd, now=clock.now())
    return EventCreated(**_out(event, tagged), tagged=tagged)


@router.get("/events/{event_id}", response_model=EventDetail, responses=NF)
def get_event(event_id: str, actor: ActorDep, session: SessionDep) -> EventDetail:
    """The event, its notices the caller may see, by district and by estimated-loss band."""
    event = scope.get_event(session, actor, event_id)
    claims = events.event_claims(session, actor, event)
    t = events.triage(claims)
    return EventDetail(
        **_out(event, len(claims)),
        districts=[
            DistrictOut(district=d.name, total=d.total, open=d.open, routed=d.routed, injured=d.injured)
            for d in t.districts
        ],
        bands=[BandOut(band=b, open=o, routed=r) for b, o, r in t.bands],
        claims=[
            EventClaimOut(
                id=c.id,
                number=c.number,
                status=c.status,
                district=events.district_of(c.location),
                location=c.location,
                loss_at=c.loss_at,
                routing_deadline=c.routing_deadline,
                estimated_loss=c.estimated_loss,
                band=events.band_of(c.estimated_loss),
                injured=events.injured(c),
            )
            for c in claims
        ],
    )


@router.post("/events/{event_id}/claims", status_code=204, responses=NF)
def tag_claim(event_id: str, body: TagIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> Response:
    """Tag a notice with the event by hand (audited on the claim's case)."""
    events.tag(session, actor, event_id, body.claim_id, now=clock.now())
    return Response(status_code=204)


@router.delete("/events/{event_id}/claims/{claim_id}", status_code=204, responses=NF)
def untag_claim(event_id: str, claim_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> Response:
    """Take a notice out of the event by hand (audited on the claim's case)."""
    events.untag(session, actor, event_id, claim_id, now=clock.now())
    return Response(status_code=204)


@router.post("/events/{event_id}/assignments", response_model=AssignOut, responses=NF)
def assign_district(event_id: str, body: AssignIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> AssignOut:
    """Route a district's notices awaiting an adjuster to one firm, the routing checks applied to each;
    the refusals are listed with their reasons."""
    done = events.assign_district(session, actor, event_id, body.district, body.firm_id, now=clock.now())
    results = [
        AssignedOut(
            claim_id=a.claim.id,
            number=a.claim.number,
            outcome="refused" if a.error else "routed",
            adjuster=a.adjuster.name if a.adjuster else None,
            code=a.error.code if a.error else None,
            message=(a.error.message.format(**a.error.params) if a.error.params else a.error.message)
            if a.error
            else None,
        )
        for a in done
    ]
    return AssignOut(
        routed=sum(r.outcome == "routed" for r in results),
        refused=sum(r.outcome == "refused" for r in results),
        results=results,
    )
