"""Fee invoice pages (公估费发票): a case's invoices and the firm's raise form, one invoice with the payer's
and the firm's steps (accept, dispute, pay, reissue), the firm's receivables and the payer's payables with
their ageing (应收账款账龄) and days-to-pay. Every read goes through the case's access check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import OrgKind
from tandem.case import letters
from tandem.case.models import Case
from tandem.deps import ClockDep, SessionDep
from tandem.fees import ageing, invoices
from tandem.fees.invoice_endpoints import invoice_out, ledger_out
from tandem.fees.invoices import WorkIn
from tandem.fees.models import Invoice
from tandem.kit.clock import local_day
from tandem.kit.errors import InvalidInput, NotFound
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.web import forms
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

BAD_DATE = N_("Enter a date such as 2027-01-31.")
DONE = {
    "raised": N_("The invoice is issued; the payer is told."),
    "accept": N_("You accepted the invoice."),
    "dispute": N_("Your dispute is on the record; the firm answers it by a reissue."),
    "pay": N_("The payment is recorded."),
    "reissue": N_("The corrected invoice is issued and replaces the disputed one."),
}
WORK_FIELDS = ("assessed_loss", "hours", "expenses_incurred")
STEP_FIELDS = {
    "accept": (),
    "dispute": ("reason", "lines"),
    "pay": ("amount", "paid_on", "reference"),
    "reissue": ("reason", *WORK_FIELDS),
}


def _work(v: Mapping[str, str], errors: dict[str, object]) -> WorkIn:
    loss = forms.money(v.get("assessed_loss", ""), errors, "assessed_loss", required=False)
    hours = forms.number(v.get("hours", ""), errors, "hours")
    incurred = forms.money(v.get("expenses_incurred", ""), errors, "expenses_incurred", required=False)
    return WorkIn(loss, hours, incurred)


def _date(value: str, errors: dict[str, object], name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = forms.REQUIRED if not value.strip() else BAD_DATE
        return None


def _values(form: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    return {n: forms.text(form, n, REASON_MAX) for n in names if n != "lines"}


def _run(step: Callable[[], object]) -> None:
    """Run a service step; work figures its error names by their API path (``work.hours``) are the page's
    fields of the same name."""
    try:
        step()
    except InvalidInput as exc:
        exc.fields = {k.removeprefix("work."): v for k, v in (exc.fields or {}).items()}
        raise


# ---- a case's invoices ----------------------------------------------------------------------------


def _can_raise(session: SessionDep, actor: Actor, case: Case, rows: list[Invoice], purpose: str | None) -> bool:
    """The firm has no live invoice yet: on the case (its own letter), or on its termination letter there."""
    if actor.org_kind != OrgKind.ADJUSTER_FIRM or not actor.has_any(invoices.FIRM_ROLES):
        return False
    if purpose is None:
        return not any(r.firm_id == actor.org_id and r.state != "replaced" for r in rows)
    letter = letters.current_letter(session, case, "broker", purpose)
    if letter is None or letter.firm_id != actor.org_id:
        return False
    return not any(r.appointment_id == letter.id and r.state != "replaced" for r in rows)


def _purpose(value: object) -> str | None:
    """The letter invoiced: a placement's termination assessment (``?purpose=termination``), else the case's own."""
    return letters.TERMINATION if value == letters.TERMINATION else None


def _case_page(
    request: Request,
    actor: Actor,
    session: SessionDep,
    case_id: str,
    state: forms.PageState,
    status: int = 200,
    purpose: str | None = None,
) -> Response:
    case = scope.get_case(session, actor, case_id)
    rows = invoices.case_invoices(session, actor, case.id)
    ctx = {
        "case": case,
        "invoices": [invoice_out(session, inv) for inv in rows],
        "can_raise": _can_raise(session, actor, case, rows, purpose),
        "purpose": purpose,
        "state": state,
    }
    return render(request, "fees/case_invoices.html", ctx, status=status)


@router.get("/cases/{case_id}/invoices")
def case_invoices(
    case_id: str,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    done: Annotated[str | None, Query()] = None,
    purpose: Annotated[str | None, Query()] = None,
) -> Response:
    state = forms.PageState(notice=DONE.get(done or ""))
    return _case_page(request, actor, session, case_id, state, purpose=_purpose(purpose))


@router.post("/cases/{case_id}/invoices")
async def raise_invoice(
    case_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    form = await request.form()
    scope.get_case(session, actor, case_id)
    state = forms.PageState(values=_values(form, WORK_FIELDS))
    work = _work(state.values, state.errors)
    purpose = _purpose(form.get("purpose"))
    made: list[Invoice] = []

    def run() -> None:
        at = clock.now()
        _run(lambda: made.append(invoices.raise_invoice(session, actor, case_id, work, at=at, purpose=purpose)))

    status = 422 if state.errors else forms.perform(session, state, run)
    if status is None:
        return RedirectResponse(f"/invoices/{made[0].id}?done=raised", 303)
    return _case_page(request, actor, session, case_id, state, status, purpose)


# ---- one invoice ----------------------------------------------------------------------------------


def _actions(actor: Actor, inv: Invoice) -> list[str]:
    if actor.org_id == inv.payer_id and actor.has_any(frozenset({invoices.PAYER_ROLES[inv.payer_kind]})):
        return [a for a in ("accept", "dispute", "pay") if (inv.state, "settle" if a == "pay" else a) in invoices.TABLE]
    if actor.org_id == inv.firm_id and actor.has_any(invoices.FIRM_ROLES) and inv.state == "disputed":
        return ["reissue"]
    return []


def _invoice_page(
    request: Request,
    actor: Actor,
    session: SessionDep,
    clock: ClockDep,
    invoice_id: str,
    state: forms.PageState,
    status: int = 200,
) -> Response:
    inv = invoices.get_invoice(session, actor, invoice_id)
    out = invoice_out(session, inv)
    today = local_day(clock.now())
    ctx = {
        "inv": out,
        "case": scope.get_case(session, actor, inv.case_id),
        "actions": _actions(actor, inv),
        "overdue": ageing.days_overdue(inv.due_date, today) if inv.state in invoices.OPEN else 0,
        "bucket": ageing.bucket(inv.due_date, today) if inv.state in invoices.OPEN else None,
        "reminders": ageing.reminder_dates(inv.due_date),
        "escalation": ageing.escalation_date(inv.due_date),
        "today": today,
        "state": state,
    }
    return render(request, "fees/invoice.html", ctx, status=status)


@router.get("/invoices/{invoice_id}")
def invoice_page(
    invoice_id: str,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    done: Annotated[str | None, Query()] = None,
) -> Response:
    return _invoice_page(request, actor, session, clock, invoice_id, forms.PageState(notice=DONE.get(done or "")))


def _step(
    session: SessionDep, actor: Actor, invoice_id: str, action: str, form: Any, state: forms.PageState, at: dt.datetime
) -> Callable[[], object]:
    """The service call of one step, its fields read first (errors beside them in ``state``)."""
    v, errors = state.values, state.errors
    if action == "accept":
        return lambda: invoices.accept(session, actor, invoice_id, at=at)
    if action == "dispute":
        reason = forms.required_text(v.get("reason", ""), errors, "reason")
        lines = [x for x in form.getlist("lines") if isinstance(x, str)]
        return lambda: invoices.dispute(session, actor, invoice_id, reason=reason, disputed=lines, at=at)
    if action == "pay":
        amount = forms.money(v["amount"], errors, "amount", positive=True)
        paid_on = _date(v["paid_on"], errors, "paid_on")
        if not v["reference"]:
            errors["reference"] = forms.REQUIRED
        ref = v["reference"][:100]
        return lambda: invoices.record_payment(
            session, actor, invoice_id, amount=amount or Decimal(0), paid_on=paid_on or at.date(), reference=ref, at=at
        )
    reason, work = forms.required_text(v.get("reason", ""), errors, "reason"), _work(v, errors)
    return lambda: invoices.reissue(session, actor, invoice_id, work, reason=reason, at=at)


@router.post("/invoices/{invoice_id}/{action}")
async def invoice_step(
    invoice_id: str, action: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """Accept, dispute or pay (the payer); reissue a disputed invoice (the firm)."""
    if action not in STEP_FIELDS:
        raise NotFound()
    inv = invoices.get_invoice(session, actor, invoice_id)
    form = await request.form()
    state = forms.PageState(values=_values(form, STEP_FIELDS[action]))
    step = _step(session, actor, invoice_id, action, form, state, clock.now())

    def run() -> None:
        _run(step)

    status = 422 if state.errors else forms.perform(session, state, run)
    if status is None:
        target = invoices.replacement_of(session, inv) if action == "reissue" else inv
        return RedirectResponse(f"/invoices/{(target or inv).id}?done={action}", 303)
    return _invoice_page(request, actor, session, clock, invoice_id, state, status)


# ---- receivables and payables ---------------------------------------------------------------------


def _ledger_page(request: Request, actor: Actor, session: SessionDep, clock: ClockDep, kind: str) -> Response:
    now = clock.now()
    if kind == "receivables":
        ledger = invoices.receivables(session, actor, now)
        habits = invoices.days_to_pay_by_payer(session, invoices.payers_of(session, actor.org_id))
    else:
        ledger = invoices.payables(session, actor, now)
        habits = invoices.days_to_pay_by_payer(session, [actor.org_id])
    names = invoices.org_names(session, list(habits))
    days = [(names.get(str(k), ""), v) for k, v in habits.items() if v.settled]
    ctx = {"kind": kind, "ledger": ledger_out(session, ledger, now), "days": sorted(days, key=lambda x: x[0])}
    return render(request, "fees/ledger.html", ctx)


@router.get("/receivables")
def receivables_page(request: Request, actor: PageActor, session: SessionDep, clock: ClockDep) -> Response:
    if actor.org_kind != OrgKind.ADJUSTER_FIRM:
        raise NotFound()
    return _ledger_page(request, actor, session, clock, "receivables")


@router.get("/payables")
def payables_page(request: Request, actor: PageActor, session: SessionDep, clock: ClockDep) -> Response:
    if actor.org_kind not in (OrgKind.INSURER, OrgKind.BROKER, OrgKind.INSURED):
        raise NotFound()
    return _ledger_page(request, actor, session, clock, "payables")
