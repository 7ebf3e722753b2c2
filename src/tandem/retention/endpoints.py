"""Retention API (issue 20 item 2): an organisation admin's due list and runs; the platform admin approves or
rejects a proposed run (the worker then anonymises it). Anybody else: 403; another organisation's run: 404."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.retention import service
from tandem.retention.models import RetentionRun
from tandem.schemas import Strict

router = APIRouter(prefix="/api/v1", tags=["retention"])
ACT: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed"},
    404: {"description": "Not found"},
    409: {"description": "Not possible in this state"},
    422: {"description": "Invalid input; error.fields names the field"},
}


class DueOut(BaseModel):
    kind: str
    id: uuid.UUID
    ref: str
    ends_on: dt.date
    due_on: dt.date


class DueList(BaseModel):
    as_of: dt.date
    counts: dict[str, int]
    items: list[DueOut]


class RunIn(Strict):
    as_of: dt.date | None = None


class Decision(Strict):
    action: Literal["approve", "reject"]


class RunOut(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    state: str
    as_of: dt.date
    items: list[dict[str, Any]]
    proposed_at: dt.datetime
    decided_at: dt.datetime | None
    done_at: dt.datetime | None


def run_out(run: RetentionRun) -> RunOut:
    return RunOut.model_validate(run, from_attributes=True)


@router.get("/retention/due", response_model=DueList, responses=ACT)
def due_list(actor: ActorDep, session: SessionDep, clock: ClockDep, as_of: dt.date | None = Query(None)) -> DueList:
    """The organisation's records whose retention date is reached on ``as_of`` (today, Asia/Shanghai) and
    that are in no run yet."""
    day = as_of or service.today_local_of(clock.now())
    rows = service.due_for(session, actor, day, clock.now())
    items = [DueOut(kind=r.kind, id=r.id, ref=r.ref, ends_on=r.ends_on, due_on=r.due_on) for r in rows]
    return DueList(as_of=day, counts=service.counts(rows), items=items)


@router.get("/retention/runs", response_model=list[RunOut], responses=ACT)
def list_runs(actor: ActorDep, session: SessionDep) -> list[RunOut]:
    return [run_out(r) for r in service.runs(session, actor)]


@router.post("/retention/runs", response_model=RunOut, status_code=201, responses=ACT)
def propose_run(body: RunIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> RunOut:
    """Propose the due records for anonymisation (an organisation admin); the platform admin decides."""
    return run_out(service.propose(session, actor, body.as_of, clock.now()))


@router.post("/retention/runs/{run_id}/decision", response_model=RunOut, responses=ACT)
def decide_run(run_id: str, body: Decision, actor: ActorDep, session: SessionDep, clock: ClockDep) -> RunOut:
    """Approve (the worker then anonymises the records) or reject a proposed run (the platform admin)."""
    return run_out(service.decide(session, actor, run_id, body.action, clock.now()))
