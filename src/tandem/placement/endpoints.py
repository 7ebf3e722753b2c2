"""Placements API (投保项目): open, list, read. Sub-resources live with their owners' modules."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.placement import service
from tandem.placement.models import Placement, PlacementStatus
from tandem.schemas import Date, MoneyIn, MoneyOut, Ref, Strict

router = APIRouter(prefix="/api/v1", tags=["placements"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}
Text200 = Annotated[str, Field(min_length=1, max_length=200)]


class SectionIn(Strict):
    type: Annotated[str, Field(min_length=1, max_length=40, description="section type (party/cover.py)")]
    description: Annotated[str, Field(max_length=500)] = ""
    sum_insured: MoneyIn


class SiteIn(Strict):
    name: Text200
    address: Annotated[str, Field(min_length=1, max_length=300)]
    province: Annotated[str, Field(min_length=1, max_length=10)]
    occupancy: Annotated[str, Field(max_length=200)] = ""
    construction: Annotated[str, Field(max_length=200)] = ""
    sections: Annotated[list[SectionIn], Field(min_length=1, max_length=service.MAX_SECTIONS)]


class ContactIn(Strict):
    site_ref: Annotated[str, Field(min_length=1, max_length=10, description="S1, S2, … in site order")]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    phone: Annotated[str, Field(pattern=r"^\+?[0-9\- ]{5,20}$")]
    role: Annotated[str, Field(max_length=100)] = ""


class PlacementIn(Strict):
    insured_id: uuid.UUID
    title: Text200
    lines: Annotated[list[str], Field(min_length=1, max_length=30, description="line names (party/cover.py)")]
    period_start: Date
    period_end: Date
    sites: Annotated[list[SiteIn], Field(min_length=1, max_length=service.MAX_SITES)]
    contacts: Annotated[list[ContactIn], Field(max_length=service.MAX_CONTACTS)] = Field(default_factory=list)


class SectionOut(BaseModel):
    ref: str
    type: str
    description: str
    sum_insured: MoneyOut


class SiteOut(BaseModel):
    ref: str
    name: str
    address: str
    province: str
    occupancy: str
    construction: str
    sections: list[SectionOut]


class ContactOut(BaseModel):
    site_ref: str
    name: str
    phone: str
    role: str


class PlacementOut(BaseModel):
    id: uuid.UUID
    number: str
    title: str
    status: PlacementStatus
    broker: Ref
    insured: Ref
    account_manager_id: uuid.UUID
    adjuster_firm_id: uuid.UUID | None = None
    lines: list[str]
    period_start: dt.date
    period_end: dt.date
    sites: list[SiteOut]
    contacts: list[ContactOut]
    total_sum_insured: MoneyOut
    explained_at: dt.datetime | None = None
    acknowledged_at: dt.datetime | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class PlacementPage(BaseModel):
    items: list[PlacementOut]


def placement_out(p: Placement) -> PlacementOut:
    return PlacementOut(
        id=p.id,
        number=p.number,
        title=p.title,
        status=p.status,
        broker=Ref(id=p.broker_id, name=p.broker.name),
        insured=Ref(id=p.insured_id, name=p.insured.name),
        account_manager_id=p.account_manager_id,
        adjuster_firm_id=p.adjuster_firm_id,
        lines=p.lines,
        period_start=p.period_start,
        period_end=p.period_end,
        sites=[SiteOut.model_validate(s) for s in p.subject.get("sites", [])],
        contacts=[ContactOut.model_validate(c) for c in p.subject.get("contacts", [])],
        total_sum_insured=service.total_sum_insured(p),
        explained_at=p.explained_at,
        acknowledged_at=p.acknowledged_at,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


@router.post(
    "/placements", response_model=PlacementOut, status_code=201, responses={403: {"description": "Not allowed"}}
)
def open_placement(body: PlacementIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> PlacementOut:
    """A broker's account manager opens a placement (投保项目) for an insured it serves."""
    return placement_out(service.open_placement(session, actor, body.model_dump(mode="json"), clock.now()))


@router.get("/placements", response_model=PlacementPage)
def list_placements(
    actor: ActorDep, session: SessionDep, status: Annotated[PlacementStatus | None, Query()] = None
) -> PlacementPage:
    """The placements the caller's organisation takes part in, newest first."""
    return PlacementPage(items=[placement_out(p) for p in service.list_placements(session, actor, status=status)])


@router.get("/placements/{placement_id}", response_model=PlacementOut, responses=NF)
def get_placement(placement_id: str, actor: ActorDep, session: SessionDep) -> PlacementOut:
    """One placement; 404 for one that does not exist and one that is not the caller's alike."""
    return placement_out(service.get_placement(session, actor, placement_id))


@router.post(
    "/placements/{placement_id}/go-to-market",
    response_model=PlacementOut,
    responses={403: {"description": "Not allowed"}, 409: {"description": "Not in this state"}, **NF},
)
def go_to_market(placement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> PlacementOut:
    """The broker's account manager takes the placement to market; the risk decisions are frozen."""
    return placement_out(service.go_to_market(session, actor, placement_id, clock.now()))
