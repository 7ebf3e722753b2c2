"""The in-force cards of the policy page (``policies/_inforce.html``, issue 16 items 3 and 4): the versions
of the cover, mid-term changes (批改) the broker requests and the insurer answers, and the policy's
suspension (效力中止), reinstatement (复效) and termination with the refund. Every write goes through
:mod:`tandem.policy.endorsements` or :mod:`tandem.policy.suspension`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Role
from tandem.deps import ClockDep, SessionDep, SettingsDep
from tandem.kit.clock import local_day
from tandem.kit.errors import InvalidInput, TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.policy import endorsements, suspension
from tandem.policy import versions as policy_versions
from tandem.policy.inforce_models import EndorsementStatus
from tandem.policy.models import Policy, PolicyStatus
from tandem.web import forms
from tandem.web.claims import FormDep
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor
from tandem.web.registry import POLICY_NOTICES, POLICY_PANELS, policy_view

router = APIRouter(include_in_schema=False)
MAX_SECTIONS = 50
BAD_DATE = N_("Enter a date.")
BAD_RATE = N_("Enter a rate in per mille, more than 0 and at most 1000.")
BAD_CODE = N_("Lower-case letters, digits and _ only.")
# The fields of this module's forms, where a service's message can stand beside its field.
FIELDS = frozenset({"effective_date", "sections", "reason", "answer", "reason_code", "ended_by", "premium_paid"})
POLICY_NOTICES.update(
    {
        "requested": N_("The change is requested; the insurer answers it."),
        "accepted": N_("The change is accepted: a new version of the policy applies from its date."),
        "declined": N_("The change is declined."),
        "withdrawn": N_("The request is withdrawn."),
        "suspend": N_("The policy is suspended."),
        "reinstate": N_("The policy is reinstated."),
        "terminate": N_("The policy is terminated."),
    }
)


def _side(actor: Actor, policy: Policy) -> str | None:
    if actor.read_only:
        return None
    if actor.org_id == policy.insurer_id and Role.INSURER_UNDERWRITER in actor.roles:
        return "insurer"
    if actor.org_id == policy.broker_id and Role.BROKER_ACCOUNT_MANAGER in actor.roles:
        return "broker"
    return None


def _total(sections: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(s["sum_insured"]) for s in sections if s.get("sum_insured")), Decimal(0))


def panel(session: Session, actor: Actor, policy: Policy, now: dt.datetime) -> dict[str, Any]:
    """The context of ``policies/_inforce.html``; ``late`` the numbers of the changes whose answer is late."""
    side = _side(actor, policy)
    rows = endorsements.of_policy(session, policy)
    pending = next((e for e in rows if e.status == EndorsementStatus.REQUESTED), None)
    in_force, suspended = policy.status == PolicyStatus.IN_FORCE, policy.status == PolicyStatus.SUSPENDED
    history = policy_versions.history(session, policy)
    return {
        "inforce": {
            "versions": [(v, _total(v.sections)) for v in history],
            "current": history[-1],
            "endorsements": rows,
            "pending": pending,
            "late": {e.number for e in rows if endorsements.is_late(e, local_day(now))},
            "changes": suspension.changes(session, policy),
            "may_request": side == "broker" and in_force and pending is None,
            "may_answer": side == "insurer",
            "may_withdraw": side == "broker",
            "may_suspend": side == "insurer" and in_force,
            "may_reinstate": side == "insurer" and suspended,
            "may_terminate": side is not None and (in_force or suspended),
            "ended_by": suspension.INSURER_ENDS if side == "insurer" else suspension.BROKER_ENDS,
            "reasons": suspension.REASONS,
            "REASON_MAX": REASON_MAX,
        }
    }


POLICY_PANELS.append(panel)


def _date(value: str, errors: dict[str, object], name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = forms.REQUIRED if not value.strip() else BAD_DATE
        return None


def _rate(value: str, errors: dict[str, object], name: str) -> Decimal | None:
    found = forms.decimal(value) if value.strip() else None
    if found is None or not 0 < found <= 1000:
        errors[name] = BAD_RATE
        return None
    return found


def _section_rows(form: Any, state: FormState) -> list[endorsements.SectionChange]:
    """The form's section rows (``code_0``, ``name_0``, ``sum_insured_0``, ``rate_0`` …); a row with no
    code is left out (the blank row for a new section)."""
    out = []
    for i in range(MAX_SECTIONS):
        keys = [f"{k}_{i}" for k in ("code", "name", "sum_insured", "rate")]
        code, name, amount, rate = (forms.text(form, k, 100) for k in keys)
        state.values.update(zip(keys, (code, name, amount, rate), strict=True))
        if not code:
            continue
        if not code.replace("_", "").isalnum() or not code.isascii() or code.lower() != code:
            state.errors[keys[0]] = BAD_CODE
        if not name:
            state.errors[keys[1]] = forms.REQUIRED
        total = forms.money(amount, state.errors, keys[2])
        per_mille = _rate(rate, state.errors, keys[3])
        if total is not None and per_mille is not None:
            out.append(endorsements.SectionChange(code, name, total, per_mille))
    return out


def _fail(
    request: Request, actor: Actor, session: Session, pid: str, exc: TandemError, name: str, st: FormState, field: str
) -> Response:
    """Show the page again: the service's message beside the fields it names (or ``field``), an alert when
    it names none of this form's fields (another state, not allowed)."""
    session.rollback()
    named = [n for n in exc.fields or {} if n in FIELDS]
    alert: object = None
    if named or (isinstance(exc, InvalidInput) and not exc.fields):
        for n in named or [field]:
            st.errors[n] = forms.readable(exc)
    else:
        alert = exc
    return policy_view(request, actor, session, pid, states={name: st}, alert=alert, status=exc.status)


def _done(policy_id: str, what: str, anchor: str) -> Response:
    return RedirectResponse(f"/policies/{policy_id}?done={what}#{anchor}", 303)


@router.post("/policies/{policy_id}/endorsements")
def request_change(
    policy_id: str,
    request: Request,
    form: FormDep,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    """The broker's account manager requests a mid-term change (批改) for the insured."""
    scope.get_policy(session, actor, policy_id)
    state = FormState(values={"effective_date": forms.text(form, "effective_date", 10)})
    state.values["reason"] = forms.text(form, "reason", REASON_MAX)
    try:
        day = _date(state.values["effective_date"], state.errors, "effective_date")
        rows = _section_rows(form, state)
        if state.errors or day is None:
            raise InvalidInput(fields={k: str(v) for k, v in state.errors.items()})
        endorsements.request(
            session, actor, policy_id, effective_date=day, sections=rows, reason=state.values["reason"],
            now=clock.now(), answer_working_days=settings.endorsement_answer_working_days,
        )  # fmt: skip
    except TandemError as exc:
        if state.errors:
            session.rollback()
            return policy_view(request, actor, session, policy_id, states={"change": state}, status=422)
        return _fail(request, actor, session, policy_id, exc, "change", state, "reason")
    return _done(policy_id, "requested", "changes")


@router.post("/policies/{policy_id}/endorsements/{endorsement_id}/{action}")
def answer_change(
    policy_id: str,
    endorsement_id: str,
    action: str,
    request: Request,
    form: FormDep,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """The insurer's underwriter accepts or declines (with a reason); the broker withdraws."""
    state = FormState(values={"answer": forms.text(form, "answer", REASON_MAX)})
    try:
        row = endorsements.answer(
            session, actor, policy_id, endorsement_id, action, reason=state.values["answer"] or None, now=clock.now()
        )
    except TandemError as exc:
        if exc.fields and "reason" in exc.fields:
            exc.fields = {"answer": exc.fields["reason"]}
        return _fail(request, actor, session, policy_id, exc, "answer", state, "answer")
    return _done(policy_id, row.status.value, "changes")


@router.post("/policies/{policy_id}/status")
def change_status(
    policy_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """Suspend, reinstate or terminate the policy from a date (one form per action, ``action`` names it)."""
    names = ("action", "effective_date", "reason_code", "reason", "ended_by", "premium_paid")
    state = FormState(values={n: forms.text(form, n, REASON_MAX) for n in names})
    v = state.values
    action = v["action"] if v["action"] in suspension.ACTIONS else "suspend"
    try:
        day = _date(v["effective_date"], state.errors, "effective_date")
        paid = forms.money(v["premium_paid"], state.errors, "premium_paid", required=False)
        if state.errors or day is None:
            raise InvalidInput(fields={k: str(e) for k, e in state.errors.items()})
        suspension.change(
            session,
            actor,
            policy_id,
            action,
            effective_date=day,
            reason_code=v["reason_code"],
            reason=v["reason"],
            ended_by=v["ended_by"] or None,
            premium_paid=paid,
            now=clock.now(),
        )
    except TandemError as exc:
        if state.errors:
            session.rollback()
            return policy_view(request, actor, session, policy_id, states={action: state}, status=422)
        return _fail(request, actor, session, policy_id, exc, action, state, "reason")
    return _done(policy_id, action, "status")
