"""The complaints page of a case (``/cases/{id}/complaints``, issue 20 item 3): a party asks an adjuster firm
to explain its report or complains about a participant; the target extends or decides, the complainant
escalates to supervision. Every write goes through :mod:`tandem.complaint.service`; errors show beside the
fields; anybody not on the case gets 404."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Organisation
from tandem.case.models import Case
from tandem.complaint import service
from tandem.complaint.models import Complaint
from tandem.deps import ClockDep, SessionDep
from tandem.kit.errors import TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.web import forms
from tandem.web.claims import FormBag, FormDep
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.labels import LABELS, TONES
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

LABELS["complaint"] = {
    "received": N_("Received, awaiting the decision"),
    "extended": N_("Extended, awaiting the decision"),
    "decided": N_("Decided"),
    "escalated": N_("Escalated to supervision"),
}
TONES["complaint"] = {"received": "warn", "extended": "warn", "decided": "ok", "escalated": "bad"}
LABELS["complaint_kind"] = {"explanation": N_("Request for an explanation"), "complaint": N_("Complaint")}
LABELS["complaint_action"] = {
    "extend": N_("Extend to 30 days"),
    "decide": N_("Decide"),
    "escalate": N_("Escalate to supervision"),
}
NOTICES = {
    "filed": N_("Received and acknowledged; a decision is due within 15 days."),
    "moved": N_("The complaint is updated."),
}


def complaints_page(
    request: Request,
    actor: Actor,
    session: Session,
    case_id: str,
    *,
    states: Mapping[str, FormState] | None = None,
    alert: object = None,
    notice: object = None,
    status: int = 200,
) -> Response:
    rows = service.of_case(session, actor, case_id)  # the case access check: 404 for anybody not on it
    on_case = service.participants(session, rows[0].case_id if rows else service.case_uuid(case_id))
    names = dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(on_case))).all())
    ctx: dict[str, Any] = {
        "case_id": case_id,
        "complaints": [(r, service.may(actor, r)) for r in reversed(rows)],
        "names": names,
        "targets": [(o, names[o]) for o in on_case if o != actor.org_id],
        "may_file": not actor.read_only,
        "fs": FormBag(dict(states or {})),
        "alert": alert,
        "notice": notice,
        "REASON_MAX": REASON_MAX,
    }
    return render(request, "complaints/case.html", ctx, status=status)


@router.get("/complaints")
def overview(
    request: Request, actor: PageActor, session: SessionDep, clock: ClockDep, year: int | None = None
) -> Response:
    """The complaints the organisation filed or is the subject of (supervision: the escalated ones) and the
    year's figures per organisation complained about (supervision and the platform: every organisation)."""
    this_year = clock.now().year  # the statistics' year is the UTC year received
    year = year if year is not None and 2000 <= year <= 2100 else this_year
    rows = list(session.execute(service.visible(actor).order_by(Complaint.received_at.desc())).scalars())
    figures = service.statistics(session, actor, year)
    orgs = {r.complainant_id for r in rows} | {r.target_id for r in rows} | {f.organisation_id for f in figures}
    names = dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(orgs))).all())
    cases = dict(session.execute(select(Case.id, Case.number).where(Case.id.in_({r.case_id for r in rows}))).all())
    ctx = {"complaints": rows, "figures": figures, "names": names, "cases": cases, "year": year}
    return render(request, "complaints/list.html", ctx)


@router.get("/complaints/{complaint_id}")
def one(complaint_id: str, actor: PageActor, session: SessionDep) -> Response:
    """A complaint's link (its notifications'): its case's complaints page; 404 for anybody who may not read it."""
    row = service.get(session, actor, complaint_id)
    return RedirectResponse(f"/cases/{row.case_id}/complaints", 303)


@router.get("/cases/{case_id}/complaints")
def page(case_id: str, request: Request, actor: PageActor, session: SessionDep, done: str | None = None) -> Response:
    return complaints_page(request, actor, session, case_id, notice=NOTICES.get(done or ""))


@router.post("/cases/{case_id}/complaints")
def file_complaint(
    case_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    names = ("kind", "target_id", "text")
    state = FormState(values={n: forms.text(form, n, REASON_MAX) for n in names})
    v = state.values
    try:
        service.file(session, actor, case_id, kind=v["kind"], target_id=v["target_id"], text=v["text"], now=clock.now())
    except TandemError as exc:
        return forms.failed_form(
            session, exc, "file", state, partial(complaints_page, request, actor, session, case_id)
        )
    return RedirectResponse(f"/cases/{case_id}/complaints?done=filed", 303)


@router.post("/cases/{case_id}/complaints/{complaint_id}/{action}")
def act(
    case_id: str,
    complaint_id: str,
    action: str,
    request: Request,
    form: FormDep,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """One move (its form names the action in the path)."""
    state = FormState(values={"text": forms.text(form, "text", REASON_MAX)})
    try:
        row = service.get(session, actor, complaint_id)
        if str(row.case_id) != case_id:
            service.get(session, actor, "-")  # not this case's: 404
        service.act(session, actor, complaint_id, action, text=state.values["text"], now=clock.now())
    except TandemError as exc:
        return forms.failed_form(
            session, exc, action, state, partial(complaints_page, request, actor, session, case_id)
        )
    return RedirectResponse(f"/cases/{case_id}/complaints?done=moved", 303)
