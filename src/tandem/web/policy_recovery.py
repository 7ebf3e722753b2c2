"""The recovery page of a policy (``/policies/{id}/recovery``, 追偿, issue 16 item 5): the broker claims the
itemised loss of the insurer's suspension or termination; the insurer accepts, counters or refuses; the
rounds, the payment, the escalation and its outcome. Every write goes through :mod:`tandem.policy.recovery`;
errors show beside the fields."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.deps import ClockDep, SessionDep
from tandem.kit.errors import InvalidInput, TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.policy import recovery
from tandem.report.schemas import TERMINATION_HEADS
from tandem.web import forms
from tandem.web.claims import FormDep
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.labels import LABELS, TONES
from tandem.web.policy_inforce import _date
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

LABELS["recovery"] = {
    "demanded": N_("Awaiting the insurer's answer"),
    "countered": N_("Countered by the insurer"),
    "refused": N_("Refused by the insurer"),
    "accepted": N_("Agreed, awaiting payment"),
    "paid": N_("Recovery paid"),
    "escalated": N_("Escalated"),
    "decided": N_("Outcome recorded"),
    "closed": N_("Closed"),
}
TONES["recovery"] = {
    "demanded": "warn", "countered": "warn", "refused": "bad", "accepted": "info", "paid": "ok",
    "escalated": "bad", "decided": "info", "closed": "neutral",
}  # fmt: skip
LABELS["recovery_step"] = {
    "demand": N_("Demand"),
    "accept": N_("Accept"),
    "counter": N_("Counter"),
    "refuse": N_("Refuse"),
    "accept_counter": N_("Accept the counter"),
    "pay": N_("Record the recovery payment"),
    "escalate": N_("Escalate"),
    "decide": N_("Record the outcome"),
    "close": N_("Close"),
}
LABELS["recovery_head"] = {
    "refund_due": N_("Premium refund due"),
    "replacement_cost": N_("Replacement cover for the rest of the period, minus the refund"),
    "uncovered_losses": N_("Losses left uncovered during the suspension"),
    "other_costs": N_("Other costs"),
}
LABELS["recovery_channel"] = {
    "regulator": N_("Complaint to the regulator"),
    "arbitration": N_("Arbitration"),
    "litigation": N_("Litigation"),
}
NOTICES = {
    "opened": N_("The recovery is sent to the insurer; it answers within 15 days."),
    "moved": N_("The recovery is updated."),
}
# What each move asks for besides the reasons (the page shows only those fields).
NEEDS = {
    "counter": ("amount",),
    "demand": ("amount",),
    "pay": ("amount", "on_date"),
    "escalate": ("channel", "on_date"),
    "decide": ("amount", "on_date"),
}


def recovery_page(
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
    policy = scope.get_policy(session, actor, policy_id)
    rows = recovery.of_policy(session, policy)
    under_way = any(r.status != "closed" for r in rows)
    may_open = (
        not actor.read_only
        and actor.org_id == policy.broker_id
        and actor.has_any(recovery.BROKER)
        and not under_way
        and recovery.recoverable(session, policy)
    )
    ctx: dict[str, Any] = {
        "policy": policy,
        "recoveries": [(r, recovery.steps_of(session, r), recovery.may(actor, policy, r)) for r in reversed(rows)],
        "may_open": may_open,
        "signed": recovery.signed_report(session, policy) if may_open else None,
        "heads": TERMINATION_HEADS,
        "channels": recovery.CHANNELS,
        "needs": NEEDS,
        **forms.page_forms(states, alert, notice),
    }
    return render(request, "policies/recovery.html", ctx, status=status)


@router.get("/policies/{policy_id}/recovery")
def page(policy_id: str, request: Request, actor: PageActor, session: SessionDep, done: str | None = None) -> Response:
    return recovery_page(request, actor, session, policy_id, notice=NOTICES.get(done or ""))


@router.post("/policies/{policy_id}/recovery")
def open_recovery(
    policy_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """The broker's account manager claims the itemised loss: a head with no amount is left out."""
    state = FormState(values={"reasons": forms.text(form, "reasons", REASON_MAX)})
    heads = []
    for head in TERMINATION_HEADS:
        amount, evidence = forms.text(form, f"{head}_amount", 30), forms.text(form, f"{head}_evidence", REASON_MAX)
        state.values.update({f"{head}_amount": amount, f"{head}_evidence": evidence})
        found = forms.money(amount, state.errors, f"{head}_amount", required=False)
        if found is None:
            continue
        if not evidence:
            state.errors[f"{head}_evidence"] = forms.REQUIRED
        heads.append({"head": head, "amount": f"{found:.2f}", "evidence": evidence or "-"})
    try:
        if state.errors:
            raise InvalidInput(fields={k: str(v) for k, v in state.errors.items()})
        recovery.open_recovery(session, actor, policy_id, heads=heads, reasons=state.values["reasons"], now=clock.now())
    except TandemError as exc:
        return forms.failed_form(
            session, exc, "open", state, partial(recovery_page, request, actor, session, policy_id), forms.head_field
        )
    return RedirectResponse(f"/policies/{policy_id}/recovery?done=opened", 303)


@router.post("/policies/{policy_id}/recovery/{recovery_id}/{action}")
def act(
    policy_id: str,
    recovery_id: str,
    action: str,
    request: Request,
    form: FormDep,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """One move of the recovery (its form names the action in the path)."""
    names = ("amount", "reasons", "channel", "on_date")
    state = FormState(values={n: forms.text(form, n, REASON_MAX) for n in names})
    v = state.values
    try:
        amount = forms.money(v["amount"], state.errors, "amount", required=False)
        day = _date(v["on_date"], state.errors, "on_date") if "on_date" in NEEDS.get(action, ()) else None
        if state.errors:
            raise InvalidInput(fields={k: str(e) for k, e in state.errors.items()})
        recovery.act(
            session, actor, policy_id, recovery_id, action, now=clock.now(), amount=amount, reasons=v["reasons"],
            channel=v["channel"] or None, on_date=day,
        )  # fmt: skip
    except TandemError as exc:
        return forms.failed_form(
            session, exc, action, state, partial(recovery_page, request, actor, session, policy_id), forms.head_field
        )
    return RedirectResponse(f"/policies/{policy_id}/recovery?done=moved", 303)
