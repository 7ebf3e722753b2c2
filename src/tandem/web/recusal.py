"""Recusal pages (回避, R-C7): an adjuster's declared interests from its record page, a case's recusal
requests with the form any party on the case uses to ask, and the broker's decision with reasons.

The case is read through the one access check (``scope.get_case``): "not yours" is the same 404 as "no
such case"; supervision reads without a form."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, Role
from tandem.case.models import Case, CaseKind
from tandem.deps import ClockDep, SessionDep
from tandem.kit.clock import today_local
from tandem.kit.errors import ActionNotAllowed
from tandem.kit.i18n import N_
from tandem.neutrality import common, findings, interests, recusal, views
from tandem.web.forms import PageState, perform, required_text, uuid_or_none
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.neutrality import CHOOSE_ADJUSTER, chart_of
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

CHOOSE_ORGANISATION = N_("Choose an insurer or an insured from the list.")
CHOOSE_KIND = N_("Choose a kind of interest.")
BAD_DATE = N_("Enter a date as YYYY-MM-DD.")
DONE = {
    "requested": N_("Your request is on the record; the broker decides it."),
    "grant": N_("Recusal granted: the adjuster steps aside from this case."),
    "refuse": N_("Recusal refused."),
    "declared": N_("The interest is declared: routing keeps the adjuster from that organisation's cases."),
}


def _case_url(case: Case) -> str:
    return f"/claims/{case.id}" if case.kind == CaseKind.CLAIM else f"/placements/{case.id}"


def _page(
    request: Request, actor: Actor, session: SessionDep, case_id: str, state: PageState, status: int = 200
) -> Response:
    case = scope.get_case(session, actor, case_id)
    rows = recusal.for_case(session, actor, case.id)
    orgs = {o.id: o.name for o in session.execute(select(Organisation)).unique().scalars()}
    manager = actor.org_kind == OrgKind.BROKER and Role.BROKER_ACCOUNT_MANAGER in actor.roles
    context = {
        "case": case,
        "case_url": _case_url(case),
        "rows": rows,
        "orgs": orgs,
        "adjusters": findings.on_case(session, case.id),
        "can_ask": not actor.read_only,
        "manager": manager and not actor.read_only,
        "state": state,
    }
    return render(request, "neutrality/recusals.html", context, status=status)


@router.get("/neutrality/cases/{case_id}/recusals")
def recusals_page(
    case_id: str,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    done: Annotated[str | None, Query()] = None,
) -> Response:
    """A case's recusal requests: who asked that which adjuster step aside, why, and the broker's decision."""
    return _page(request, actor, session, case_id, PageState(notice=DONE.get(done or "")))


@router.post("/neutrality/cases/{case_id}/recusals")
def ask_recusal(
    case_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    adjuster_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Any party on the case asks, with reasons, that an adjuster on it step aside."""
    if actor.read_only:
        raise ActionNotAllowed()
    case = scope.get_case(session, actor, case_id)
    state = PageState(values={"adjuster_id": adjuster_id.strip(), "reason": reason.strip()})
    text = required_text(reason, state.errors, "reason")
    target = uuid_or_none(adjuster_id)
    if target is None:
        state.errors["adjuster_id"] = CHOOSE_ADJUSTER
    status = (
        422 if state.errors else perform(session, state, lambda: _ask(session, actor, case, target, text, clock.now()))
    )
    if status is None:
        return RedirectResponse(f"/neutrality/cases/{case.id}/recusals?done=requested", 303)
    return _page(request, actor, session, case_id, state, status)


def _ask(session: SessionDep, actor: Actor, case: Case, target: Any, text: str, at: dt.datetime) -> None:
    recusal.request(session, actor, case.id, target, text, at=at)


@router.post("/neutrality/recusals/{recusal_id}/{action}")
def decide_recusal(
    recusal_id: str,
    action: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    text: Annotated[str, Form()] = "",
) -> Response:
    """The case's broker (an account manager) grants or refuses a request, with reasons."""
    if actor.read_only:
        raise ActionNotAllowed()
    req = recusal.get(session, actor, recusal_id)
    if action not in ("grant", "refuse"):
        raise ActionNotAllowed()
    key = f"{action}-{req.id}"  # one form per waiting request: its own field ids and errors
    state = PageState(values={key: text.strip()})
    body = required_text(text, state.errors, key)

    def step() -> None:
        recusal.decide(session, actor, req.id, grant=action == "grant", reason=body, at=clock.now())

    status = 422 if state.errors else perform(session, state, step)
    if status is None:
        return RedirectResponse(f"/neutrality/cases/{req.case_id}/recusals?done={action}", 303)
    return _page(request, actor, session, str(req.case_id), state, status)


# ---- an adjuster's record and its declared interests ------------------------------------------------


@router.get("/neutrality/adjusters/{adjuster_id}")
def adjuster_record(
    adjuster_id: str,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    done: Annotated[str | None, Query()] = None,
) -> Response:
    """An adjuster's whole record: notices, answers, decisions, figures, what counts against the tolerance,
    its declared interests (with the form, for the adjuster itself and its firm's administrator)."""
    return record_page(request, actor, session, clock, adjuster_id, PageState(notice=DONE.get(done or "")))


def counterparties(session: SessionDep) -> list[Organisation]:
    """The insurers and insureds an adjuster may declare an interest in, by kind and name."""
    stmt = select(Organisation).where(Organisation.kind.in_(interests.COUNTERPARTIES))
    return list(session.execute(stmt.order_by(Organisation.kind, Organisation.name)).unique().scalars())


def may_declare(session: SessionDep, actor: Actor, adjuster_id: str) -> bool:
    adj = scope.get_adjuster(session, actor, adjuster_id)
    return not actor.read_only and common.speaks_for(actor, adj)


def _date(value: str, errors: dict[str, object]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors["ended_on"] = BAD_DATE
        return None


@router.post("/neutrality/adjusters/{adjuster_id}/interests")
def declare_interest(
    adjuster_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    organisation_id: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    detail: Annotated[str, Form()] = "",
    ended_on: Annotated[str, Form()] = "",
) -> Response:
    """The adjuster (or its firm's administrator) declares an interest in an insurer or an insured."""
    if actor.read_only:
        raise ActionNotAllowed()
    adj = scope.get_adjuster(session, actor, adjuster_id)
    values = {"organisation_id": organisation_id, "kind": kind, "detail": detail.strip(), "ended_on": ended_on}
    state = PageState(values={k: v.strip() for k, v in values.items()})
    text = required_text(detail, state.errors, "detail")
    org = uuid_or_none(organisation_id)
    if org is None:
        state.errors["organisation_id"] = CHOOSE_ORGANISATION
    if kind not in interests.KINDS:
        state.errors["kind"] = CHOOSE_KIND
    until = _date(ended_on.strip(), state.errors)
    if not state.errors and org is not None:
        new = interests.NewDeclaration(org, kind, text, until)
        status = perform(session, state, lambda: _declare(session, actor, adj.id, new, clock.now()))
        if status is not None and state.alert is not None:
            return record_page(request, actor, session, clock, str(adj.id), state, status)
        if status is None:
            return RedirectResponse(f"/neutrality/adjusters/{adj.id}?done=declared#interests", 303)
    return record_page(request, actor, session, clock, str(adj.id), state, 422)


def _declare(session: SessionDep, actor: Actor, adjuster_id: Any, new: Any, at: dt.datetime) -> None:
    interests.declare(session, actor, adjuster_id, new, at=at)


def record_page(
    request: Request,
    actor: Actor,
    session: SessionDep,
    clock: ClockDep,
    adjuster_id: str,
    state: PageState,
    status: int = 200,
) -> Response:
    """An adjuster's whole record with the declaration form (its GET, and the form's answer on errors)."""
    record = views.adjuster_record(session, actor, adjuster_id, clock.now())
    today = today_local(clock)
    declared = [(d, interests.in_force(d, today)) for d in interests.declarations(session, actor, adjuster_id)]
    context = {
        "record": record,
        "declared": declared,
        "chart": chart_of(record),
        "declare": may_declare(session, actor, adjuster_id),
        "counterparties": counterparties(session),
        "interest_kinds": interests.KINDS,
        "state": state,
    }
    return render(request, "neutrality/record.html", context, status=status)
