"""The retention page (``/retention``, "Retention / 保存期限", issue 20 item 2): an organisation admin sees
what is due on a date with counts and proposes it as a run; the platform admin approves or rejects proposed
runs. Every write goes through :mod:`tandem.retention.service`; anybody else gets 403, another
organisation's run 404."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.deps import ClockDep, SessionDep
from tandem.kit.errors import Conflict, InvalidInput
from tandem.kit.i18n import N_
from tandem.retention import service
from tandem.web import forms
from tandem.web.claims import FormDep
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.labels import LABELS, TONES
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

LABELS["retention_run"] = {
    "proposed": N_("Proposed, awaiting approval"),
    "approved": N_("Approved, being anonymised"),
    "done": N_("Anonymised"),
    "rejected": N_("Rejected"),
}
TONES["retention_run"] = {"proposed": "warn", "approved": "warn", "done": "ok", "rejected": "bad"}
LABELS["retention_kind"] = {"claim_case": N_("Closed claim case"), "business_file": N_("Business file")}
NOTICES = {
    "proposed": N_("Proposed; the platform administrator approves before anything is anonymised."),
    "decided": N_("The run is updated."),
}


def retention_page(
    request: Request,
    actor: Actor,
    session: Session,
    now: dt.datetime,
    as_of: dt.date | None = None,
    *,
    states: dict[str, FormState] | None = None,
    alert: object = None,
    notice: object = None,
    status: int = 200,
) -> Response:
    platform = actor.has_any(service.PLATFORM)
    day = as_of or service.today_local_of(now)
    rows = [] if platform else service.due_for(session, actor, day, now)  # 403 for anybody but an admin
    ctx: dict[str, Any] = {
        "platform": platform,
        "as_of": day,
        "due": rows,
        "counts": service.counts(rows),
        "runs": service.runs(session, actor),
        **forms.page_forms(states, alert, notice),
    }
    return render(request, "retention/index.html", ctx, status=status)


@router.get("/retention")
def page(
    request: Request, actor: PageActor, session: SessionDep, clock: ClockDep, as_of: str = "", done: str = ""
) -> Response:
    errors: dict[str, object] = {}
    day = forms.day(as_of, errors, "as_of") if as_of else None
    states = {"propose": FormState(values={"as_of": as_of}, errors=errors)}
    return retention_page(request, actor, session, clock.now(), day, states=states, notice=NOTICES.get(done))


@router.post("/retention/runs")
def propose(request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep) -> Response:
    state = FormState(values={"as_of": forms.text(form, "as_of", 10)})
    show = partial(retention_page, request, actor, session, clock.now())
    day = forms.day(state.values["as_of"], state.errors, "as_of") if state.values["as_of"] else None
    try:
        if state.errors:
            raise InvalidInput(forms.BAD_DAY, fields={"as_of": forms.BAD_DAY})
        service.propose(session, actor, day, clock.now())  # 403 for anybody but an admin
    except InvalidInput as exc:
        return forms.failed_form(session, exc, "propose", state, show)
    return RedirectResponse("/retention?done=proposed", 303)


@router.post("/retention/runs/{run_id}/{action}")
def decide(
    run_id: str, action: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """The platform admin approves or rejects a proposed run (its form names the action in the path)."""
    try:
        service.decide(session, actor, run_id, action, clock.now())  # 404 another's run, 403 not the platform's
    except Conflict as exc:
        return forms.failed_form(session, exc, "decide", FormState(), partial(retention_page, request, actor,
                                 session, clock.now()))  # fmt: skip
    return RedirectResponse("/retention?done=decided", 303)
