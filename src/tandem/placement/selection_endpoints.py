"""Placements API, choosing and instructing the adjuster (R-U1, R-U2): the broker's explanation, the
recommendations, the check of an adjuster the insured names, the insured's choice, the confirmation
letter (确认函) and the firm's answer. Every read goes through ``service.get_placement`` (404 for a
placement that is not the caller's)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.case import audience, letters
from tandem.claim.documents import html_to_pdf, letter_html
from tandem.claim.models import Appointment
from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.fees.terms import FeeTermsIn, terms_from_api
from tandem.kit.errors import InvalidInput, NotFound
from tandem.kit.limits import REASON_MAX
from tandem.placement import selection, service
from tandem.placement.models import Placement, PlacementStatus
from tandem.schemas import Date, RecommendationsOut, Strict

router = APIRouter(prefix="/api/v1/placements", tags=["placements"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}
MOVES: dict[int | str, dict[str, Any]] = {
    **NF,
    403: {"description": "Not your move"},
    409: {"description": "Not possible in the placement's state"},
    422: {"description": "Invalid input, named by field; a refused adjuster with its reason codes"},
}


class ExplanationIn(Strict):
    note: Annotated[str, Field(max_length=REASON_MAX)] = ""


class ChoiceIn(Strict):
    adjuster_id: uuid.UUID
    acknowledged: bool = Field(description="the insured acknowledges that the pre-assessment decides the programme")


class AcceptIn(Strict):
    terms: FeeTermsIn  # docs/fees.md; a pre-assessment for the broker is paid by the insured or the broker
    report_due: Date


class DeclineIn(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=REASON_MAX)]


class AdjusterRef(BaseModel):
    id: uuid.UUID
    name: str
    firm_id: uuid.UUID
    firm: str


class CheckOut(BaseModel):
    """Whether the insured may name this adjuster: refusals block it, notes are shown only."""

    adjuster: AdjusterRef
    accepted: bool
    refusals: list[str]
    notes: list[str]


class LetterOut(BaseModel):
    letter_no: str
    state: str
    firm_id: uuid.UUID
    adjuster_id: uuid.UUID
    issued_at: dt.datetime
    answered_at: dt.datetime | None = None
    fee_terms: dict[str, Any] | None = None
    fee_basis: str | None = None
    fee_payment_days: int | None = None
    decline_reason: str | None = None
    letter_sha256: str | None = None


class ClockOut(BaseModel):
    kind: str
    holder: str
    due_at: dt.datetime
    stopped_at: dt.datetime | None = None


class SelectionOut(BaseModel):
    status: PlacementStatus
    explained_at: dt.datetime | None = None
    acknowledged_at: dt.datetime | None = None
    chosen: AdjusterRef | None = None
    choice: str | None = None
    letter: LetterOut | None = None
    clocks: list[ClockOut]
    actions: list[str]


def _adjuster_ref(adj: Any) -> AdjusterRef:
    return AdjusterRef(id=adj.id, name=adj.name, firm_id=adj.firm_id, firm=adj.firm.organisation.name)


def letter_out(session: Session, actor: Actor, placement: Placement, letter: Appointment) -> LetterOut:
    fees = selection.viewer(session, actor, placement).sees_fees(letter.side)
    return LetterOut(
        letter_no=letter.letter_no,
        state=letter.state,
        firm_id=letter.firm_id,
        adjuster_id=letter.adjuster_id,
        issued_at=letter.issued_at,
        answered_at=letter.answered_at,
        fee_terms=letter.fee_terms if fees else None,
        fee_basis=letter.fee_basis if fees else None,
        fee_payment_days=letter.fee_payment_days if fees else None,
        decline_reason=letter.decline_reason,
        letter_sha256=letter.letter_sha256,
    )


def _readable_letter(session: Session, actor: Actor, placement: Placement) -> Appointment | None:
    """The broker's current letter if the caller reads letters on this case (broker, its firm, insured)."""
    letter = selection.letter_of(session, placement)
    if letter is None or not selection.viewer(session, actor, placement).sees(audience.LETTER_READERS[letter.side]):
        return None
    return letter


def selection_out(session: Session, actor: Actor, placement: Placement, now: dt.datetime) -> SelectionOut:
    sel = selection.selection(session, actor, placement, now)
    letter = _readable_letter(session, actor, placement)
    return SelectionOut(
        status=placement.status,
        explained_at=placement.explained_at,
        acknowledged_at=placement.acknowledged_at,
        chosen=_adjuster_ref(sel.chosen) if sel.chosen else None,
        choice=placement.choice,
        letter=letter_out(session, actor, placement, letter) if letter else None,
        clocks=[ClockOut(kind=d.kind, holder=d.holder, due_at=d.due_at, stopped_at=d.stopped_at) for d in sel.clocks],
        actions=sorted(service.allowed(session, actor, placement) & selection.ACTIONS),
    )


@router.get("/{placement_id}/selection", response_model=SelectionOut, responses=NF)
def get_selection(placement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> SelectionOut:
    """Where the choice of the adjuster stands: explanation, acknowledgement, the choice, the letter (for
    its readers; fee terms for theirs), the clocks and the caller's next moves."""
    placement = service.get_placement(session, actor, placement_id)
    return selection_out(session, actor, placement, clock.now())


@router.post("/{placement_id}/explanation", response_model=SelectionOut, responses=MOVES)
def explain(
    placement_id: str, body: ExplanationIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> SelectionOut:
    """R-U1: the broker's account manager records that it explained the pre-assessment to the insured;
    the recommendations go before the insured, who has 5 working days to choose."""
    placement = service.get_placement(session, actor, placement_id)
    selection.explain(session, actor, placement, clock.now(), note=body.note)
    return selection_out(session, actor, placement, clock.now())


@router.get("/{placement_id}/recommendations", response_model=RecommendationsOut, responses=NF)
def recommendations(placement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> RecommendationsOut:
    """Adjusters good at risk evaluation (风险评估) for this subject, ranked and explained like a claim's
    routing; the excluded with their reason codes — for the broker, and the insured while it chooses.
    Every other party sees at most the adjuster chosen and why."""
    placement = service.get_placement(session, actor, placement_id)
    now = clock.now()
    if not selection.sees_judgement(session, actor, placement):
        chosen = selection.chosen_adjuster(session, placement)
        return RecommendationsOut.chosen(selection.evaluate(session, placement, chosen, now) if chosen else None)
    return RecommendationsOut.ranked(selection.recommendations(session, placement, now))


@router.get("/{placement_id}/adjuster-check", response_model=CheckOut, responses=NF)
def adjuster_check(
    placement_id: str,
    actor: ActorDep,
    session: SessionDep,
    clock: ClockDep,
    adjuster_id: Annotated[str, Query(max_length=100)] = "",
) -> CheckOut:
    """Whether an adjuster of the register may take this placement if the insured names it: ``refusals``
    (``certificate_lapsed``, ``firm_not_filed``, ``blacklisted``, ``conflict_of_interest``,
    ``over_capacity``) refuse it; ``notes`` (not listed for risk evaluation, outside its area) do not."""
    placement = service.get_placement(session, actor, placement_id)
    if not selection.sees_judgement(session, actor, placement):
        raise NotFound()
    if not adjuster_id:
        raise InvalidInput(fields={"adjuster_id": "required"})
    adj = selection.listed_adjuster(session, actor, adjuster_id)
    rec = selection.evaluate(session, placement, adj, clock.now())
    refusals = selection.refusals(rec)
    notes = [r for r in rec.reasons if r not in refusals]
    return CheckOut(adjuster=_adjuster_ref(adj), accepted=not refusals, refusals=refusals, notes=notes)


@router.post("/{placement_id}/choice", response_model=SelectionOut, responses=MOVES)
def choose(placement_id: str, body: ChoiceIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> SelectionOut:
    """The insured acknowledges the explanation and picks a recommended adjuster or its own from the
    register; its own is refused (422, ``placement.adjuster_refused``, ``fields.adjuster_id`` = the reason
    codes) unless the routing checks pass."""
    placement = service.get_placement(session, actor, placement_id)
    selection.choose(session, actor, placement, body.adjuster_id, acknowledged=body.acknowledged, now=clock.now())
    return selection_out(session, actor, placement, clock.now())


@router.post("/{placement_id}/letter", response_model=SelectionOut, status_code=201, responses=MOVES)
def issue_letter(placement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> SelectionOut:
    """R-U2: the broker issues the confirmation letter to the chosen firm (PDF rendered after commit);
    the firm has 2 working days to answer."""
    placement = service.get_placement(session, actor, placement_id)
    selection.issue_letter(session, actor, placement, clock.now())
    return selection_out(session, actor, placement, clock.now())


@router.post("/{placement_id}/letter/accept", response_model=SelectionOut, responses=MOVES)
def accept_letter(
    placement_id: str, body: AcceptIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> SelectionOut:
    """The firm accepts with its fee terms, the payment deadline and the date its report is due."""
    placement = service.get_placement(session, actor, placement_id)
    selection.accept_letter(
        session,
        actor,
        placement,
        clock.now(),
        terms=terms_from_api(body.terms, letters.engagement_of(service.case_of(session, placement), "broker")),
        report_due=body.report_due,
    )
    return selection_out(session, actor, placement, clock.now())


@router.post("/{placement_id}/letter/decline", status_code=204, response_class=Response, responses=MOVES)
def decline_letter(
    placement_id: str, body: DeclineIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> Response:
    """The firm declines with a reason and leaves the placement (it reads it no more: 204); the insured
    chooses again."""
    placement = service.get_placement(session, actor, placement_id)
    selection.decline_letter(session, actor, placement, clock.now(), reason=body.reason)
    return Response(status_code=204)


@router.get("/{placement_id}/letter.pdf", responses=NF, response_class=Response)
def letter_pdf(
    placement_id: str,
    actor: ActorDep,
    session: SessionDep,
    lang: Annotated[Literal["zh_CN", "en"], Query()] = "zh_CN",
) -> Response:
    """The confirmation letter as a PDF: Chinese (as issued) by default, English with ``?lang=en``."""
    placement = service.get_placement(session, actor, placement_id)
    letter = _readable_letter(session, actor, placement)
    if letter is None:
        raise NotFound()
    return Response(
        html_to_pdf(letter_html(session, letter, lang)),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{letter.letter_no}{"-en" if lang == "en" else ""}.pdf"'
        },
    )
