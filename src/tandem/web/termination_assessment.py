"""The termination assessment page (``/policies/{id}/termination-assessment``, issue 16 items 3-4, R-U10):
the broker instructs an adjuster firm by a letter of instruction (the placement's firm by default, another
after a decline); the firm accepts it with its fee terms or declines it; once accepted it files the signed
《保险合同效力中止或终止评估报告》 (cause, basis, the itemised heads with evidence) in one form; the parties
read it. Every write goes through :mod:`tandem.inforce.termination`; errors show beside the fields."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Organisation
from tandem.case import service as case_service
from tandem.deps import ClockDep, SessionDep
from tandem.fees.engine import allowed_payers
from tandem.fees.terms import engagement_for
from tandem.inforce import staged, termination
from tandem.kit.errors import InvalidInput, NotFound, TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.party.models import Adjuster
from tandem.policy import recovery
from tandem.policy.inforce_models import TerminationAssessment
from tandem.report.schemas import TERMINATION_HEADS
from tandem.web import fee_terms, forms
from tandem.web.claims import FormDep
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.render import render

router = APIRouter(include_in_schema=False)
NOTICES = {
    "instructed": N_("The adjuster firm is instructed to assess the loss."),
    "accepted": N_("The letter of instruction is accepted with your fee terms."),
    "declined": N_("The letter of instruction is declined; the broker instructs another firm."),
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
    policy, placement = termination.readable_policy(session, actor, policy_id)
    row = termination.of_policy(session, policy)
    all_letters = termination.letters_of(session, row)
    broker = not actor.read_only and actor.org_id == policy.broker_id and actor.has_any(recovery.BROKER)
    firm = not actor.read_only and row is not None and row.firm_id == actor.org_id and actor.has_any(staged.FIRM_SIDE)
    may_report = firm and row is not None and row.status == "accepted"
    team = []
    if may_report:
        case = case_service.get_subject(session, actor, placement.id)
        team = [m.adjuster for m in case_service.team(session, case, actor.org_id)]
    may_instruct = broker and (row is None or row.status == "declined") and recovery.recoverable(session, policy)
    ctx: dict[str, Any] = {
        "policy": policy,
        "row": row,
        "letters": all_letters,
        "firm_names": {lt.firm_id: _firm_name(session, lt.firm_id) for lt in all_letters},
        "sees_fees": actor.is_admin or actor.org_id in (policy.broker_id, policy.insured_id, row and row.firm_id),
        "report": termination.report_of(session, row),
        "may_instruct": may_instruct,
        "adjusters": _adjusters(session, row) if may_instruct else [],
        "may_answer": firm and row is not None and row.status == "instructed",
        "payers": [p.value for p in allowed_payers(engagement_for(termination.KIND, "broker"))],
        "may_report": may_report,
        "team": team,
        "heads": TERMINATION_HEADS,
        **forms.page_forms(states, alert, notice),
    }
    return render(request, "policies/termination.html", ctx, status=status)


def _firm_name(session: Session, org_id: uuid.UUID) -> str:
    org = session.get(Organisation, org_id)
    return org.name if org else ""


def _adjusters(session: Session, row: TerminationAssessment | None) -> list[Adjuster]:
    """Whom the broker may name: active practitioners, none of a firm that declined this assessment."""
    declined = {lt.firm_id for lt in termination.letters_of(session, row) if lt.state == "declined"}
    found = session.execute(select(Adjuster).where(Adjuster.active.is_(True))).unique().scalars()
    return sorted((a for a in found if a.firm_id not in declined), key=lambda a: (a.firm.organisation.name, a.name))


@router.get("/policies/{policy_id}/termination-assessment")
def page(policy_id: str, request: Request, actor: PageActor, session: SessionDep, done: str | None = None) -> Response:
    return assessment_page(request, actor, session, policy_id, notice=NOTICES.get(done or ""))


@router.post("/policies/{policy_id}/termination-assessment")
def instruct(
    policy_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    state = FormState(
        values={"note": forms.text(form, "note", REASON_MAX), "adjuster_id": forms.text(form, "adjuster_id")}
    )
    adjuster = forms.uuid_or_none(state.values["adjuster_id"])
    try:
        if state.values["adjuster_id"] and adjuster is None:
            raise InvalidInput(termination.NO_ADJUSTER, fields={"adjuster_id": termination.NO_ADJUSTER})
        termination.instruct(
            session, actor, policy_id, note=state.values["note"], adjuster_id=adjuster, now=clock.now()
        )
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


@router.post("/policies/{policy_id}/termination-assessment/letter/accept")
def accept_letter(
    policy_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """The instructed firm accepts with its fee terms (each bad field named beside it)."""
    terms, state = fee_terms.terms_from_form(form, engagement_for(termination.KIND, "broker"))
    show = partial(assessment_page, request, actor, session, policy_id)
    if terms is None:
        return show(states={"accept": state}, status=422)
    try:
        termination.accept(session, actor, policy_id, terms=terms, now=clock.now())
    except TandemError as exc:
        return forms.failed_form(session, exc, "accept", state, show, lambda _path: "fee_basis")
    return RedirectResponse(f"/policies/{policy_id}/termination-assessment?done=accepted", 303)


@router.post("/policies/{policy_id}/termination-assessment/letter/decline")
def decline_letter(
    policy_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """The instructed firm declines with a reason; unless it is the placement's own firm it no longer reads
    the policy's assessment, so it goes back to its policies."""
    state = FormState(values={"reason": forms.text(form, "reason", REASON_MAX)})
    show = partial(assessment_page, request, actor, session, policy_id)
    if not state.values["reason"]:
        state.errors["reason"] = forms.REQUIRED
        return show(states={"decline": state}, status=422)
    try:
        termination.decline(session, actor, policy_id, reason=state.values["reason"], now=clock.now())
    except TandemError as exc:
        return forms.failed_form(session, exc, "decline", state, show)
    try:
        termination.readable_policy(session, actor, policy_id)
    except NotFound:
        return RedirectResponse("/policies?done=declined", 303)
    return RedirectResponse(f"/policies/{policy_id}/termination-assessment?done=declined", 303)


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
