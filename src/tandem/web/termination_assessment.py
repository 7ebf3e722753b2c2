"""The termination assessment page (``/policies/{id}/termination-assessment``, issue 16 item 4, R-U10): the
broker instructs its adjuster firm on the placement; the firm files the signed 《保险合同效力中止或终止评估
报告》 (cause, basis, the itemised heads with evidence) in one form; the parties read it. Every write goes
through :mod:`tandem.inforce.termination`; errors show beside the fields."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.case import service as case_service
from tandem.deps import ClockDep, SessionDep
from tandem.inforce import staged, termination
from tandem.kit.errors import TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.policy import recovery
from tandem.report.schemas import TERMINATION_HEADS
from tandem.web import forms
from tandem.web.claims import FormDep
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.render import render

router = APIRouter(include_in_schema=False)
NOTICES = {
    "instructed": N_("The adjuster firm is instructed to assess the loss."),
    "reported": N_("The termination assessment report is submitted."),
}


def assessment_page(
    request: Request,
    actor: Actor,
    session: Session,
    policy_id: str,
    *,
    states: Mapping[str, FormState] | None = None,
    alert: object = None,
    notice: object = None,
    status: int = 200,
) -> Response:
    policy, placement = staged.readable_policy(session, actor, policy_id)
    row = termination.of_policy(session, policy)
    broker = not actor.read_only and actor.org_id == policy.broker_id and actor.has_any(recovery.BROKER)
    firm = not actor.read_only and row is not None and row.firm_id == actor.org_id and actor.has_any(staged.FIRM_SIDE)
    may_report = firm and row is not None and row.status == "instructed"
    team = []
    if may_report:
        case = case_service.get_subject(session, actor, placement.id)
        team = [m.adjuster for m in case_service.team(session, case, actor.org_id)]
    ctx: dict[str, Any] = {
        "policy": policy,
        "row": row,
        "report": termination.report_of(session, row),
        "may_instruct": broker and row is None and recovery.recoverable(session, policy),
        "may_report": may_report,
        "team": team,
        "heads": TERMINATION_HEADS,
        **forms.page_forms(states, alert, notice),
    }
    return render(request, "policies/termination.html", ctx, status=status)


@router.get("/policies/{policy_id}/termination-assessment")
def page(policy_id: str, request: Request, actor: PageActor, session: SessionDep, done: str | None = None) -> Response:
    return assessment_page(request, actor, session, policy_id, notice=NOTICES.get(done or ""))


@router.post("/policies/{policy_id}/termination-assessment")
def instruct(
    policy_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    state = FormState(values={"note": forms.text(form, "note", REASON_MAX)})
    try:
        termination.instruct(session, actor, policy_id, note=state.values["note"], now=clock.now())
    except TandemError as exc:
        return forms.failed_form(
            session,
            exc,
            "instruct",
            state,
            partial(assessment_page, request, actor, session, policy_id),
            forms.head_field,
        )
    return RedirectResponse(f"/policies/{policy_id}/termination-assessment?done=instructed", 303)


@router.post("/policies/{policy_id}/termination-assessment/report")
def submit_report(
    policy_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """The firm's report in one form: saved as its draft and submitted, signed by the adjusters ticked; a
    head with no amount is left out."""
    state = FormState(values={n: forms.text(form, n, REASON_MAX) for n in ("cause", "basis")})
    state.values["signer_ids"] = form.getlist("signer_ids")
    signers = [u for u in map(forms.uuid_or_none, map(str, state.values["signer_ids"])) if u is not None]
    heads = []
    for head in TERMINATION_HEADS:
        amount, evidence = forms.text(form, f"{head}_amount", 30), forms.text(form, f"{head}_evidence", REASON_MAX)
        state.values.update({f"{head}_amount": amount, f"{head}_evidence": evidence})
        found = forms.money(amount, state.errors, f"{head}_amount", required=False)
        if found is not None:
            if not evidence:
                state.errors[f"{head}_evidence"] = forms.REQUIRED
            heads.append({"head": head, "amount": f"{found:.2f}", "evidence": evidence})
    for name in ("cause", "basis"):
        if not state.values[name]:
            state.errors[name] = forms.REQUIRED
    if state.errors:
        return assessment_page(request, actor, session, policy_id, states={"report": state}, status=422)
    content = {"cause": state.values["cause"], "basis": state.values["basis"], "heads": heads}
    try:
        termination.save_draft(session, actor, policy_id, content, now=clock.now())
        termination.submit(session, actor, policy_id, signer_ids=signers, now=clock.now())
    except TandemError as exc:
        return forms.failed_form(
            session,
            exc,
            "report",
            state,
            partial(assessment_page, request, actor, session, policy_id),
            forms.head_field,
        )
    return RedirectResponse(f"/policies/{policy_id}/termination-assessment?done=reported", 303)
