"""Placements API, the insurer's own adjuster for a second pre-assessment (R-U7): the insurer appoints,
the firm accepts (fee terms, the insurer pays) or declines, the broker answers an adjuster on its blacklist
by requiring another or withdrawing the submission. An insurer sees only its own appointments; a firm
those it works under (404 for the rest, as for a placement that is not the caller's)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.case import letters
from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.fees.terms import terms_from_api
from tandem.kit.limits import REASON_MAX
from tandem.party.models import Adjuster
from tandem.placement import second_opinion as second
from tandem.placement import service
from tandem.placement.models import Placement
from tandem.placement.second_models import InsurerAdjuster
from tandem.placement.selection_endpoints import MOVES, NF, AcceptIn, DeclineIn, LetterOut, letter_out
from tandem.schemas import Strict

router = APIRouter(prefix="/api/v1/placements", tags=["placements"])


class AppointIn(Strict):
    adjuster_id: uuid.UUID


class BrokerAnswerIn(Strict):
    action: Literal["require_another", "withdraw_submission"]
    reason: Annotated[str, Field(min_length=1, max_length=REASON_MAX)]


class InsurerAdjusterOut(BaseModel):
    id: uuid.UUID
    insurer_id: uuid.UUID
    insurer: str
    firm_id: uuid.UUID
    firm: str
    adjuster_id: uuid.UUID
    adjuster: str
    state: str
    blacklisted: bool = Field(description="on the broker's blacklist when appointed (shown to the broker only)")
    reason: str | None = None
    created_at: dt.datetime
    letter: LetterOut
    actions: list[str]


def _out(session: Session, actor: Actor, placement: Placement, row: InsurerAdjuster) -> InsurerAdjusterOut:
    adj = session.get(Adjuster, row.adjuster_id)
    assert adj is not None
    broker = actor.org_id == placement.broker_id
    return InsurerAdjusterOut(
        id=row.id,
        insurer_id=row.insurer_id,
        insurer=second.org_name(session, row.insurer_id),
        firm_id=row.firm_id,
        firm=adj.firm.organisation.name,
        adjuster_id=adj.id,
        adjuster=adj.name,
        state=row.state,
        blacklisted=row.blacklisted and broker,
        reason=row.reason,
        created_at=row.created_at,
        letter=letter_out(session, actor, placement, second.letter_of(session, row)),
        actions=second.actions(session, actor, placement, row),
    )


@router.get("/{placement_id}/insurer-adjusters", response_model=list[InsurerAdjusterOut], responses=NF)
def list_appointments(placement_id: str, actor: ActorDep, session: SessionDep) -> list[InsurerAdjusterOut]:
    """The insurers' own adjusters on the placement as the caller may see them: the broker all, an insurer
    its own, a firm those it works under."""
    placement = service.get_placement(session, actor, placement_id)
    return [_out(session, actor, placement, r) for r in second.visible(session, actor, placement)]


@router.post("/{placement_id}/insurer-adjusters", response_model=InsurerAdjusterOut, status_code=201, responses=MOVES)
def appoint(
    placement_id: str, body: AppointIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> InsurerAdjusterOut:
    """The insurer's underwriter appoints its own adjuster for a second pre-assessment at its own cost:
    422 ``placement.insurer_adjuster_refused`` naming ``adjuster_id`` with the codes (routing checks,
    ``broker_adjuster_firm``, ``conflict_of_interest``); the letter goes to its firm."""
    row = second.appoint(session, actor, placement_id, body.adjuster_id, now=clock.now())
    placement = service.get_placement(session, actor, placement_id)
    return _out(session, actor, placement, row)


@router.get("/{placement_id}/insurer-adjusters/{appointment_id}", response_model=InsurerAdjusterOut, responses=NF)
def get_appointment(placement_id: str, appointment_id: str, actor: ActorDep, session: SessionDep) -> InsurerAdjusterOut:
    placement, row = second.get_appointment(session, actor, placement_id, appointment_id)
    return _out(session, actor, placement, row)


@router.post(
    "/{placement_id}/insurer-adjusters/{appointment_id}/accept", response_model=InsurerAdjusterOut, responses=MOVES
)
def accept(
    placement_id: str, appointment_id: str, body: AcceptIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> InsurerAdjusterOut:
    """The firm accepts the insurer's letter with its fee terms (payer: the insurer) and the report's due date."""
    placement, _ = second.get_appointment(session, actor, placement_id, appointment_id)
    terms = terms_from_api(body.terms, letters.engagement_of(service.case_of(session, placement), "insurer"))
    row = second.accept(
        session, actor, placement_id, appointment_id, terms=terms, report_due=body.report_due, now=clock.now()
    )
    return _out(session, actor, placement, row)


@router.post(
    "/{placement_id}/insurer-adjusters/{appointment_id}/decline", response_model=InsurerAdjusterOut, responses=MOVES
)
def decline(
    placement_id: str, appointment_id: str, body: DeclineIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> InsurerAdjusterOut:
    placement, _ = second.get_appointment(session, actor, placement_id, appointment_id)
    row = second.decline(session, actor, placement_id, appointment_id, reason=body.reason, now=clock.now())
    return _out(session, actor, placement, row)


@router.post(
    "/{placement_id}/insurer-adjusters/{appointment_id}/broker-answer",
    response_model=InsurerAdjusterOut,
    responses=MOVES,
)
def broker_answer(
    placement_id: str, appointment_id: str, body: BrokerAnswerIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> InsurerAdjusterOut:
    """The broker answers an adjuster on its blacklist: ``require_another`` or ``withdraw_submission``,
    with a reason (409 when the adjuster is not on its blacklist)."""
    placement, _ = second.get_appointment(session, actor, placement_id, appointment_id)
    row = second.answer_blacklisted(
        session, actor, placement_id, appointment_id, action=body.action, reason=body.reason, now=clock.now()
    )
    return _out(session, actor, placement, row)
