"""The practitioner's page (``/adjusters/{id}``, issue 19 item 4): its practice registrations (执业登记)
through firms with the history, the verification records with their form, sanctions and bars with
supervision's form, and the firm's leaving / deregistration form. Fetched through ``scope.get_adjuster``:
an outsider gets the 404 page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.permissions import Perm
from tandem.deps import ClockDep, SessionDep
from tandem.kit.clock import Clock, today_local
from tandem.kit.i18n import N_
from tandem.party import practice, views
from tandem.party import service as party_service
from tandem.party.models import Adjuster
from tandem.schemas import bounded_date
from tandem.web import registry
from tandem.web.forms import FIELD_REQUIRED, TOO_LONG, PageState, perform
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

DATE_INVALID = N_("Enter a date as YYYY-MM-DD.")  # the same msgid as the blacklist form's
CHOOSE = N_("Choose one of the list.")
DONE = {
    "checked": N_("The verification is recorded."),
    "sanctioned": N_("The sanction is recorded."),
    "left": N_("The leaving is recorded; deregister within 5 working days."),
    "deregistered": N_("The registration is cancelled."),
    "moved": N_("The practitioner is registered with your firm; the previous registration has ended."),
}

ANCHORS = {"checked": "checks", "sanctioned": "sanctions", "left": "registrations", "deregistered": "registrations"}


def _state(**raw: str) -> PageState:
    """The form's values as typed (stripped), for the page to show again with the errors."""
    return PageState(values={k: v.strip() for k, v in raw.items()})


def _date(values: dict[str, str], errors: dict[str, object], name: str, *, required: bool) -> dt.date | None:
    value = values.get(name, "")
    if not value:
        if required:
            errors[name] = FIELD_REQUIRED
        return None
    try:
        return bounded_date(dt.date.fromisoformat(value))
    except ValueError:
        errors[name] = DATE_INVALID
        return None


def _choice(values: dict[str, str], errors: dict[str, object], name: str, allowed: tuple[str, ...]) -> str:
    if values.get(name, "") not in allowed:
        errors[name] = CHOOSE
    return values.get(name, "")


def _limit(values: dict[str, str], errors: dict[str, object], name: str, limit: int) -> None:
    if len(values.get(name, "")) > limit:
        errors[name] = TOO_LONG


def may_move(actor: Actor, adj: Adjuster) -> bool:
    """The current firm's administrator, supervision or the platform record leaving and deregistration."""
    own = actor.org_id == adj.firm_id and actor.can(Perm.MANAGE_ADJUSTERS) and not actor.read_only
    return own or practice.is_supervision(actor) or actor.is_admin


def page(
    request: Request,
    actor: Actor,
    session: Session,
    clock: Clock,
    adjuster_id: str,
    state: PageState,
    form: str = "",
    status: int = 200,
) -> Response:
    """The practitioner's page; ``form`` names the form whose values and errors ``state`` holds."""
    adj = scope.get_adjuster(session, actor, adjuster_id)
    session.refresh(adj)
    today = today_local(clock)
    out = views.adjuster_out(session, actor, adj, today)
    context: dict[str, Any] = {
        "a": out,
        "registrations": [views.registration_out(r, today) for r in reversed(adj.registrations)],
        "checks": [views.check_out(session, c) for c in reversed(adj.checks)],
        "sanctions": list(reversed(adj.sanctions)),
        "may_check": practice.may_check(actor, adj),
        "may_sanction": practice.may_sanction(actor),
        "may_move": may_move(actor, adj) and out.registration is not None,
        "sources": practice.CHECK_SOURCES,
        "results": practice.CHECK_RESULTS,
        "kinds": practice.SANCTION_KINDS,
        "state": state,
        "form": form,
        "today": today,
    }
    return render(request, "adjusters/practitioner.html", context, status=status)


@router.get("/adjusters/{adjuster_id}")
def practitioner_page(
    adjuster_id: str, request: Request, actor: PageActor, session: SessionDep, clock: ClockDep, done: str = ""
) -> Response:
    return page(request, actor, session, clock, adjuster_id, PageState(notice=DONE.get(done)))


def _answer(
    step: Any,
    form: str,
    state: PageState,
    request: Request,
    actor: Actor,
    session: Session,
    clock: Clock,
    adjuster_id: str,
) -> Response:
    """Run the form's step unless the fields already failed; redirect when done, else the page again."""
    status = 422 if state.errors else perform(session, state, step)
    if status is None:
        return RedirectResponse(f"/adjusters/{adjuster_id}?done={form}#{ANCHORS[form]}", 303)
    return page(request, actor, session, clock, adjuster_id, state, form, status)


@router.post("/adjusters/{adjuster_id}/checks")
def check_form(
    adjuster_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    source: Annotated[str, Form()] = "",
    result: Annotated[str, Form()] = "",
    checked_on: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Record a verification: where, when, with what result; errors beside the fields (422)."""
    adj = scope.get_adjuster(session, actor, adjuster_id)
    state = _state(source=source, result=result, checked_on=checked_on, note=note)
    values = state.values
    _choice(values, state.errors, "source", practice.CHECK_SOURCES)
    _choice(values, state.errors, "result", practice.CHECK_RESULTS)
    day = _date(values, state.errors, "checked_on", required=True)
    _limit(values, state.errors, "note", 2000)

    def step() -> None:
        assert day is not None
        practice.record_check(
            session, actor, adj.id, source=source, result=result, checked_on=day, note=values["note"], at=clock.now()
        )

    return _answer(step, "checked", state, request, actor, session, clock, str(adj.id))


@router.post("/adjusters/{adjuster_id}/sanctions")
def sanction_form(
    adjuster_id: str,
    request: Request,
    clock: ClockDep,
    actor: CheckedActor,
    session: SessionDep,
    kind: Annotated[str, Form()] = "",
    authority: Annotated[str, Form()] = "",
    decision_no: Annotated[str, Form()] = "",
    starts_on: Annotated[str, Form()] = "",
    ends_on: Annotated[str, Form()] = "",
    sentence_ends_on: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Supervision records a sanction, or a criminal-penalty bar from the day the sentence ends."""
    dates = {"starts_on": starts_on, "ends_on": ends_on, "sentence_ends_on": sentence_ends_on}
    state = _state(kind=kind, authority=authority, decision_no=decision_no, note=note, **dates)
    adj, values = scope.get_adjuster(session, actor, adjuster_id), state.values
    _choice(values, state.errors, "kind", practice.SANCTION_KINDS)
    if not values["authority"]:
        state.errors["authority"] = FIELD_REQUIRED
    for name, limit in (("authority", 100), ("decision_no", 60), ("note", 2000)):
        _limit(values, state.errors, name, limit)
    start = _date(values, state.errors, "starts_on", required=True)
    end = _date(values, state.errors, "ends_on", required=False)
    sentence = _date(values, state.errors, "sentence_ends_on", required=False)

    def step() -> None:
        assert start is not None
        practice.record_sanction(
            session,
            actor,
            adj.id,
            kind=values["kind"],
            authority=values["authority"],
            decision_no=values["decision_no"],
            starts_on=start,
            ends_on=end,
            sentence_ends_on=sentence,
            note=values["note"],
            at=clock.now(),
        )

    return _answer(step, "sanctioned", state, request, actor, session, clock, str(adj.id))


@router.post("/adjusters/{adjuster_id}/registration")
def registration_form(
    adjuster_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    action: Annotated[str, Form()] = "",
    left_on: Annotated[str, Form()] = "",
) -> Response:
    """The firm records that the practitioner left (``leave``) or cancels the registration (``deregister``)."""
    adj = scope.get_adjuster(session, actor, adjuster_id)
    state = _state(left_on=left_on, action=action)
    values = state.values
    _choice(values, state.errors, "action", ("leave", "deregister"))
    current = party_service.current_registration(adj)
    need_day = values["action"] == "leave" or (current is not None and current.state == "registered")
    day = _date(values, state.errors, "left_on", required=need_day)

    def step() -> None:
        if values["action"] == "leave":
            assert day is not None
            practice.leave(session, actor, adj.id, left_on=day, at=clock.now())
        else:
            practice.deregister(session, actor, adj.id, left_on=day, at=clock.now())

    form = "left" if values["action"] == "leave" else "deregistered"
    return _answer(step, form, state, request, actor, session, clock, str(adj.id))


@router.post("/adjuster-firms/{firm_id}/registrations")
def move_in_form(
    firm_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    certificate_no: Annotated[str, Form()] = "",
    id_number: Annotated[str, Form()] = "",
    registration_no: Annotated[str, Form()] = "",
    starts_on: Annotated[str, Form()] = "",
) -> Response:
    """The firm's administrator registers a practitioner who moves in from another firm (执业登记变更),
    named by certificate and ID number; the old registration ends the day before."""
    firm = scope.get_firm(session, actor, firm_id)
    state = _state(certificate_no=certificate_no, id_number=id_number, registration_no=registration_no)
    state.values["starts_on"] = starts_on.strip()
    for name in ("certificate_no", "id_number"):
        if not state.values[name]:
            state.errors[name] = FIELD_REQUIRED
        _limit(state.values, state.errors, name, 40)
    _limit(state.values, state.errors, "registration_no", 40)
    day = _date(state.values, state.errors, "starts_on", required=True)
    moved: list[str] = []

    def step() -> None:
        assert day is not None
        reg = practice.move(
            session,
            actor,
            firm_id=firm.organisation_id,
            starts_on=day,
            at=clock.now(),
            certificate_no=state.values["certificate_no"],
            id_number=state.values["id_number"].upper(),
            registration_no=state.values["registration_no"] or None,
        )
        moved.append(str(reg.adjuster_id))

    status = 422 if state.errors else perform(session, state, step)
    if status is None:
        return RedirectResponse(f"/adjusters/{moved[0]}?done=moved#registrations", 303)
    return registry.firm_view(request, actor, session, clock, str(firm.organisation_id), state, status)
