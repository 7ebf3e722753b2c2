"""API of explanations and complaints (issue 20 item 3). Filing and a case's list go through the case access
check (404 for anybody not on the case); one complaint is read by its complainant and its target, by
supervision once escalated (read-only), by the platform."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tandem.complaint import service
from tandem.complaint.models import Complaint
from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.kit.limits import REASON_MAX
from tandem.schemas import Strict

router = APIRouter(prefix="/api/v1", tags=["complaints"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}
WRITE: dict[int | str, dict[str, Any]] = {
    **NF,
    403: {"description": "Not allowed"},
    409: {"description": "Not in this state"},
    422: {"description": "Invalid input (the body names the field)"},
}
Text = Annotated[str, Field(max_length=REASON_MAX)]


class ComplaintIn(Strict):
    kind: Literal["explanation", "complaint"]
    target_id: uuid.UUID = Field(description="the organisation on the case the request is about")
    text: Text


class ComplaintAction(Strict):
    action: Literal["extend", "decide", "escalate"]
    text: Text = Field("", description="the extension's reason, the decision, or the escalation's reason")


class ComplaintOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    kind: str
    state: str
    complainant_id: uuid.UUID
    target_id: uuid.UUID
    text: str
    received_at: dt.datetime
    acknowledged_at: dt.datetime
    due_on: dt.date
    extension_reason: str | None = None
    decision: str | None = None
    decided_at: dt.datetime | None = None
    escalation_reason: str | None = None
    escalated_at: dt.datetime | None = None
    may: list[str] = Field(description="the moves the caller may make now")


def complaint_out(actor: ActorDep, row: Complaint) -> ComplaintOut:
    fields = {k: getattr(row, k) for k in ComplaintOut.model_fields if k != "may"}
    return ComplaintOut(**fields, may=service.may(actor, row))


@router.get("/cases/{case_id}/complaints", response_model=list[ComplaintOut], responses=NF)
def list_case_complaints(case_id: str, actor: ActorDep, session: SessionDep) -> list[ComplaintOut]:
    return [complaint_out(actor, r) for r in service.of_case(session, actor, case_id)]


@router.post("/cases/{case_id}/complaints", response_model=ComplaintOut, status_code=201, responses=WRITE)
def file_complaint(
    case_id: str, body: ComplaintIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> ComplaintOut:
    """Ask an adjuster firm on the case to explain its report, or complain about a participant: received and
    acknowledged at once, a decision due within 15 days."""
    row = service.file(session, actor, case_id, kind=body.kind, target_id=body.target_id, text=body.text,
                       now=clock.now())  # fmt: skip
    return complaint_out(actor, row)


@router.get("/complaints", response_model=list[ComplaintOut])
def list_complaints(actor: ActorDep, session: SessionDep) -> list[ComplaintOut]:
    """The caller's complaints (filed or about it); supervision: the escalated ones."""
    rows = session.execute(service.visible(actor).order_by(Complaint.received_at)).scalars()
    return [complaint_out(actor, r) for r in rows]


@router.get("/complaints/statistics", response_model=list[service.YearFigures])
def complaint_statistics(
    actor: ActorDep, session: SessionDep, year: Annotated[int, Query(ge=2000, le=2100)]
) -> list[service.YearFigures]:
    """Per organisation complained about, the year's complaints: decided (in time), extended, escalated, open."""
    return service.statistics(session, actor, year)


@router.get("/complaints/{complaint_id}", response_model=ComplaintOut, responses=NF)
def get_complaint(complaint_id: str, actor: ActorDep, session: SessionDep) -> ComplaintOut:
    return complaint_out(actor, service.get(session, actor, complaint_id))


@router.post("/complaints/{complaint_id}/actions", response_model=ComplaintOut, responses=WRITE)
def act_on_complaint(
    complaint_id: str, body: ComplaintAction, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> ComplaintOut:
    """The target extends once (the reason is sent to the complainant) or decides; the complainant escalates
    to supervision."""
    return complaint_out(actor, service.act(session, actor, complaint_id, body.action, text=body.text, now=clock.now()))
