"""Choosing the placement's adjuster (R-U1, R-U2), as pages: the public adjuster register an insured
searches to name its own adjuster, and the selection part of the placement's case file
(``placements/_selection.html``): the broker's explanation, the recommendations, the insured's
acknowledged choice (its own adjuster refused with the reasons in words), the confirmation letter and
the firm's answer — each form showing its errors beside the fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.case.audience import LETTER_READERS
from tandem.deps import ClockDep, SessionDep
from tandem.fees.engine import FeeTerms
from tandem.fees.terms import engagement_for
from tandem.kit.clock import local_day, today_local
from tandem.kit.errors import InvalidInput, TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.party import service as party_service
from tandem.party.models import Adjuster
from tandem.placement import selection, service
from tandem.placement.models import Placement
from tandem.routing import register
from tandem.routing import service as routing
from tandem.routing.service import PROVINCES
from tandem.web import cases, fee_terms, forms, placements
from tandem.web.claims import FormDep
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.render import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 30


@router.get("/adjuster-register")
def adjuster_register(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    q: Annotated[str, Query(max_length=500)] = "",
    line: Annotated[str, Query(max_length=40)] = "",
    province: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The public register (公估师公开名录): names, firms, qualification status and lines, no personal data."""
    errors: dict[str, object] = {}
    try:
        page = register.search(
            session, actor, today_local(clock), q=q, line=line, province=province, cursor=cursor, limit=PAGE_SIZE
        )
    except InvalidInput as exc:
        errors = {name: REGISTER_ERRORS.get(name, exc.message) for name in exc.fields or {}}
        page = register.RegisterPage([], None)
    filters = {"q": q.strip(), "line": line.strip(), "province": province.strip()}
    more = {**{k: v for k, v in filters.items() if v}, "cursor": page.next} if page.next else None
    return render(
        request,
        "adjusters/public_register.html",
        {
            "rows": page.rows,
            "more": more,
            "paged": bool(cursor),
            "errors": errors,
            "lines": register.SEARCH_LINES,
            "provinces": PROVINCES,
            **filters,
        },
    )


DATE_INVALID = N_("Enter a date as YYYY-MM-DD.")

REGISTER_ERRORS = {
    "q": N_("At most 100 characters."),
    "line": N_("Choose a line from the list."),
    "province": N_("Choose a province from the list."),
    "cursor": N_("This page link is no longer valid; search again."),
}


# ---- the placement's selection partial (placements/_selection.html) --------------------------------


@dataclass(frozen=True)
class SelectionView:
    """What ``placements/_selection.html`` shows one actor."""

    sel: selection.Selection
    moves: frozenset[str]  # the selection's transitions this actor may take now
    recommended: list[cases.Choice]
    excluded: list[cases.Choice]
    register: list[tuple[Adjuster, str]]  # the insured's own choice: the register, with qualification status
    chosen: cases.Choice | None
    letter_readable: bool
    sees_fees: bool


def _choice(rec: routing.Recommendation) -> cases.Choice:
    adj = rec.adjuster
    return cases.Choice(adj, adj.firm.organisation.name, rec.score, cases.explain_ranking(rec.explain), rec.reasons, [])


def selection_view(session: Session, actor: Actor, placement: Placement, now: dt.datetime) -> SelectionView:
    sel = selection.selection(session, actor, placement, now)
    moves = (
        frozenset() if actor.read_only else frozenset(service.allowed(session, actor, placement) & selection.ACTIONS)
    )
    register_rows: list[tuple[Adjuster, str]] = []
    if "choose" in moves:
        today = local_day(now)
        stmt = scope.register_adjusters(actor).order_by(Adjuster.name, Adjuster.id)
        register_rows = [
            (a, party_service.qualification_status(a, today)) for a in session.execute(stmt).unique().scalars()
        ]
    viewer = selection.viewer(session, actor, placement)
    chosen = selection.evaluate(session, placement, sel.chosen, now) if sel.chosen else None
    return SelectionView(
        sel=sel,
        moves=moves,
        recommended=[_choice(r) for r in sel.recommended],
        excluded=[_choice(r) for r in sel.excluded],
        register=register_rows,
        chosen=_choice(chosen) if chosen else None,
        letter_readable=sel.letter is not None and viewer.sees(LETTER_READERS[sel.letter.side]),
        sees_fees=sel.letter is not None and viewer.sees_fees(sel.letter.side),
    )


def _panel(session: Session, actor: Actor, placement: Placement, now: dt.datetime, locale: str) -> dict[str, Any]:
    return {"selection": selection_view(session, actor, placement, now)}


placements.PANELS.append(_panel)
placements.NOTICES.update(
    {
        "explained": N_("The explanation is on record; the insured now chooses the adjuster."),
        "chosen": N_("Your choice is on record; the broker now issues the confirmation letter."),
        "letter": N_("The confirmation letter was issued to the firm."),
        "accepted": N_("You accepted the letter; your team can start the pre-assessment."),
        "declined": N_("You declined the letter; the insured chooses again."),
    }
)
ACKNOWLEDGE_REQUIRED = N_("Confirm that the pre-assessment was explained to you.")
CHOOSE_ONE = N_("Choose an adjuster from the list.")


@router.post("/placements/{placement_id}/explain")
def explain(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    state = FormState({"note": forms.text(form, "note", REASON_MAX)})
    if len(state.values["note"]) > REASON_MAX:
        state.errors["note"] = forms.REASON_TOO_LONG
        return placements.page(request, actor, session, clock, placement_id, states={"explain": state}, status=422)
    placement = service.get_placement(session, actor, placement_id)
    try:
        selection.explain(session, actor, placement, clock.now(), note=state.values["note"])
    except TandemError as exc:
        return placements.failed(request, actor, session, clock, placement_id, exc, "explain", state, "note")
    return placements.done(placement.id, "explained", "selection")


@router.post("/placements/{placement_id}/choose")
def choose(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """The insured's choice: a recommended adjuster (``adjuster_id``) or its own from the register
    (the second form, ``source=own``), with the acknowledgement; a refused one is named beside its field
    with the reasons in words."""
    name = "own" if forms.text(form, "source") == "own" else "choose"
    state = FormState(
        {"adjuster_id": forms.text(form, "adjuster_id"), "acknowledged": forms.text(form, "acknowledged")}
    )
    adjuster_id = forms.uuid_or_none(state.values["adjuster_id"])
    if adjuster_id is None:
        state.errors["adjuster_id"] = CHOOSE_ONE
    if state.values["acknowledged"] != "yes":
        state.errors["acknowledged"] = ACKNOWLEDGE_REQUIRED
    if state.errors:
        return placements.page(request, actor, session, clock, placement_id, states={name: state}, status=422)
    placement = service.get_placement(session, actor, placement_id)
    try:
        selection.choose(session, actor, placement, adjuster_id, acknowledged=True, now=clock.now())
    except TandemError as exc:
        return placements.failed(request, actor, session, clock, placement_id, exc, name, state, "adjuster_id")
    return placements.done(placement.id, "chosen", "selection")


@router.post("/placements/{placement_id}/letter")
def issue_letter(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    placement = service.get_placement(session, actor, placement_id)
    try:
        selection.issue_letter(session, actor, placement, clock.now())
    except TandemError as exc:
        return placements.failed(
            request, actor, session, clock, placement_id, exc, "letter", FormState(), "adjuster_id"
        )
    return placements.done(placement.id, "letter", "selection")


def read_accept(
    form: Mapping[str, Any], now: dt.datetime, side: str = "broker"
) -> tuple[FormState, dt.date | None, FeeTerms | None]:
    """The firm's acceptance as typed: the fee terms (a pre-assessment for the broker: the insured or the
    broker pays; for the insurer's own adjuster: the insurer) and the report's due date."""
    terms, state = fee_terms.terms_from_form(form, engagement_for("placement", side))
    v = state.values
    v["report_due"] = forms.text(form, "report_due")
    due: dt.date | None = None
    if not v["report_due"]:
        state.errors["report_due"] = forms.REQUIRED
    else:
        try:
            due = dt.date.fromisoformat(v["report_due"])
            selection.report_due_at(due, now)
        except ValueError:
            state.errors["report_due"] = DATE_INVALID
        except InvalidInput as exc:
            state.errors["report_due"] = exc
    return state, due, terms


@router.post("/placements/{placement_id}/letter/accept")
def accept_letter(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    state, due, terms = read_accept(form, clock.now())
    if state.errors:
        return placements.page(request, actor, session, clock, placement_id, states={"accept": state}, status=422)
    placement = service.get_placement(session, actor, placement_id)
    try:
        selection.accept_letter(
            session,
            actor,
            placement,
            clock.now(),
            terms=terms,
            report_due=due,
        )
    except TandemError as exc:
        return placements.failed(request, actor, session, clock, placement_id, exc, "accept", state, "fee_basis")
    return placements.done(placement.id, "accepted", "selection")


@router.post("/placements/{placement_id}/letter/decline")
def decline_letter(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    state = FormState({"reason": forms.text(form, "reason", REASON_MAX)})
    if not state.values["reason"]:
        state.errors["reason"] = forms.REQUIRED
    elif len(state.values["reason"]) > REASON_MAX:
        state.errors["reason"] = forms.REASON_TOO_LONG
    if state.errors:
        return placements.page(request, actor, session, clock, placement_id, states={"decline": state}, status=422)
    placement = service.get_placement(session, actor, placement_id)
    try:
        selection.decline_letter(session, actor, placement, clock.now(), reason=state.values["reason"])
    except TandemError as exc:
        return placements.failed(request, actor, session, clock, placement_id, exc, "decline", state, "reason")
    # The firm no longer takes part: it cannot see the placement any more.
    return RedirectResponse("/placements?done=declined", 303)
