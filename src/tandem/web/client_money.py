"""The broker's client money page (客户资金): the ledger with filters (client, insurer, open only), the form
to record a receipt or a pay-out (errors beside the fields), the receipts the platform expects, the open
items oldest first with their age, the statements per client and per insurer; and the business-file card
(业务档案) on a placed policy's page. Broker staff only (the ledger service refuses anyone else)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Role, User
from tandem.brokerage import business_file, ledger
from tandem.brokerage.endpoints import entries_out, statement_csv_response, statement_out
from tandem.claim.models import Claim
from tandem.deps import ClockDep, SessionDep, SettingsDep
from tandem.kit.clock import local_day
from tandem.kit.errors import InvalidInput, TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.policy.models import Policy
from tandem.web import forms
from tandem.web.claims import FormDep
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.labels import LABELS
from tandem.web.registry import POLICY_NOTICES, POLICY_PANELS, policy_view
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

LABELS["money_kind"] = {
    "premium_received": N_("Premium received from the insured"),
    "premium_remitted": N_("Premium remitted to the insurer"),
    "claim_received": N_("Claim payment received from the insurer"),
    "claim_paid": N_("Claim payment passed to the insured"),
    "refund_received": N_("Premium refund received from the insurer"),
    "refund_paid": N_("Premium refund passed to the insured"),
}
LABELS["money_band"] = {
    "0-7": N_("0–7 days"),
    "8-30": N_("8–30 days"),
    "31-90": N_("31–90 days"),
    "90+": N_("over 90 days"),
}
LABELS["commission_collection"] = {
    "deducted": N_("Deducted from the premium"),
    "invoiced": N_("Invoiced to the insurer"),
}
LABELS["remittance"] = {
    "net": N_("Net of commission"),
    "gross": N_("In full (gross)"),
}
LABELS["business_file_field"] = {
    "commission_rate": N_("Commission rate"),
    "commission_amount": N_("Commission amount"),
    "commission_collection": N_("How the commission is collected"),
    "remittance": N_("Premium remittance"),
    "remittance_days": N_("Remitted within (days of receipt)"),
    "served_by": N_("Served by"),
}
DONE = {
    "recorded": N_("The entry is recorded."),
    "reversed": N_("The reversing entry is recorded."),
}
POLICY_NOTICES["business_file"] = N_("The business file is saved.")
ENTRY_FIELDS = ("kind", "amount", "value_date", "reference", "policy_id", "claim_id", "receipt_id", "payment_id")
FILE_FIELDS = business_file.FIELDS


def _choices(session: Session, actor: Actor) -> dict[str, Any]:
    policies = session.execute(scope.visible_policies(actor).order_by(Policy.number).limit(1000)).unique().scalars()
    claims = session.execute(
        select(Claim.id, Claim.number).where(Claim.broker_id == actor.org_id).order_by(Claim.number.desc()).limit(1000)
    )
    return {
        "policies": [(p.id, p.number, p.insured.name) for p in policies],
        "claims": [(i, n) for i, n in claims],
    }


def _page(
    request: Request,
    actor: Actor,
    session: Session,
    clock: ClockDep,
    hold_days: int,
    *,
    filters: dict[str, Any],
    states: dict[str, FormState] | None = None,
    alert: object = None,
    notice: object = None,
    status: int = 200,
) -> Response:
    broker_id = ledger.reader(actor)
    today = local_day(clock.now())
    rows = ledger.entries(session, broker_id)
    shown = [
        e
        for e in rows
        if (filters["client"] is None or e.client_id == filters["client"])
        and (filters["insurer"] is None or e.insurer_id == filters["insurer"])
    ]
    entries = entries_out(session, shown, rows)
    if filters["open_only"]:
        entries = [e for e in entries if e.held and e.held > 0]
    items = ledger.open_items(rows, today, hold_days)
    parties = ledger.names(session, {e.client_id for e in rows} | {e.insurer_id for e in rows})
    may_write = actor.has_any(ledger.WRITERS) and not actor.read_only
    ctx = {
        "entries": list(reversed(entries)),  # newest first on the page
        "items": list(zip(entries_out(session, [i.receipt for i in items], rows), items, strict=True)),
        "by_client": statement_out(session, actor, "client", clock.now(), hold_days),
        "by_insurer": statement_out(session, actor, "insurer", clock.now(), hold_days),
        "expected": ledger.expected(session, actor) if may_write else [],
        "clients": sorted(((i, parties.get(i, "")) for i in {e.client_id for e in rows}), key=lambda x: x[1]),
        "insurers": sorted(((i, parties.get(i, "")) for i in {e.insurer_id for e in rows}), key=lambda x: x[1]),
        "parties": parties,
        "filters": filters,
        "hold_days": hold_days,
        "today": today,
        "may_write": may_write,
        "kinds": ledger.KINDS,
        "incomplete": business_file.incomplete(session, actor),
        **(_choices(session, actor) if may_write else {}),
        **forms.page_forms(states, alert, notice),
    }
    return render(request, "client_money/ledger.html", ctx, status=status)


def _filters(client: str | None, insurer: str | None, open_only: str | None) -> dict[str, Any]:
    return {
        "client": forms.uuid_or_none(client or ""),
        "insurer": forms.uuid_or_none(insurer or ""),
        "open_only": bool(open_only),
    }


@router.get("/client-money")
def ledger_page(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    client: Annotated[str | None, Query()] = None,
    insurer: Annotated[str | None, Query()] = None,
    open_only: Annotated[str | None, Query()] = None,
    done: Annotated[str | None, Query()] = None,
) -> Response:
    """The ledger; a link from an expected receipt fills the form (``kind``, ``policy_id`` … in the query)."""
    prefill = {n: request.query_params.get(n, "") for n in ENTRY_FIELDS if request.query_params.get(n)}
    show = _show(request, actor, session, clock, settings, _filters(client, insurer, open_only))
    return show(states={"entry": FormState(values=prefill)} if prefill else None, notice=DONE.get(done or ""))


def _entry_in(state: FormState) -> ledger.EntryIn | None:
    v, errors = state.values, state.errors
    amount = forms.money(v["amount"], errors, "amount", positive=True)
    day = forms.day(v["value_date"], errors, "value_date")
    if not v["kind"]:
        errors["kind"] = ledger.BAD_KIND
    if not v["reference"]:
        errors["reference"] = ledger.REFERENCE
    if errors or amount is None or day is None:
        return None
    ids = {n: forms.uuid_or_none(v[n]) for n in ("policy_id", "claim_id", "payment_id", "receipt_id")}
    return ledger.EntryIn(v["kind"], amount, day, v["reference"], **ids)


@router.post("/client-money")
def record_entry(
    request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep, settings: SettingsDep
) -> Response:
    state = FormState(values={n: forms.text(form, n, 100) for n in ENTRY_FIELDS})
    data = _entry_in(state)
    show = _show(request, actor, session, clock, settings)
    if data is None:
        return show(states={"entry": state}, status=422)
    try:
        ledger.record(session, actor, data, at=clock.now())
    except TandemError as exc:
        return forms.failed_form(session, _named(exc, ENTRY_FIELDS, "kind"), "entry", state, show)
    return RedirectResponse("/client-money?done=recorded#entries", 303)


@router.post("/client-money/reversals")
def reverse_entry(
    request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep, settings: SettingsDep
) -> Response:
    entry_id = forms.text(form, "entry_id", 40)
    state = FormState(values={"entry_id": entry_id, "reason": forms.text(form, "reason", REASON_MAX)})
    reason = forms.required_text(state.values["reason"], state.errors, "reason")
    show = _show(request, actor, session, clock, settings)
    if state.errors:
        return show(states={f"reverse-{entry_id}": state}, status=422)
    try:
        ledger.reverse(session, actor, entry_id, reason=reason, at=clock.now())
    except TandemError as exc:
        return forms.failed_form(session, _named(exc, ("reason",), "reason"), f"reverse-{entry_id}", state, show)
    return RedirectResponse("/client-money?done=reversed#entries", 303)


def _named(exc: TandemError, fields: tuple[str, ...], default: str) -> TandemError:
    """The service's 422 beside the form's fields it names (its message, translated), else beside
    ``default``; a conflict or refusal stays the page's alert."""
    if isinstance(exc, InvalidInput):
        named = {n: m for n, m in (exc.fields or {}).items() if n in fields} or {default: exc.message}
        exc.fields = {n: exc if m == exc.message else forms.field_message(exc, m) for n, m in named.items()}  # type: ignore[misc]
    return exc


def _show(
    request: Request,
    actor: Actor,
    session: Session,
    clock: ClockDep,
    settings: SettingsDep,
    filters: dict[str, Any] | None = None,
) -> Callable[..., Response]:
    def show(
        states: dict[str, FormState] | None = None, alert: object = None, notice: object = None, status: int = 200
    ) -> Response:
        return _page(
            request,
            actor,
            session,
            clock,
            settings.client_money_hold_days,
            filters=filters or _filters(None, None, None),
            states=states,
            alert=alert,
            notice=notice,
            status=status,
        )

    return show


@router.get("/client-money/statement.csv")
def statement_csv(
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    by: Annotated[str, Query()] = "client",
) -> Response:
    return statement_csv_response(session, actor, by, clock.now(), settings.client_money_hold_days)


# ---- the business file on the policy page ----------------------------------------------------------


def panel(session: Session, actor: Actor, policy: Policy, now: dt.datetime) -> dict[str, Any]:
    """The context of ``policies/_business_file.html``: the broker's own policies only."""
    if actor.org_id != policy.broker_id or not business_file.applies(policy):
        return {}
    file = business_file.get(session, policy.id)
    may_edit = Role.BROKER_ACCOUNT_MANAGER in actor.roles and not actor.read_only
    served = session.get(User, file.served_by) if file else None
    return {
        "bfile": {
            "file": file,
            "missing": business_file.missing(file),
            "served_name": served.display_name if served else None,
            "staff": business_file.staff(session, actor.org_id) if may_edit else [],
            "may_edit": may_edit,
            "collections": business_file.COLLECTIONS,
            "remittances": business_file.REMITTANCES,
        }
    }


POLICY_PANELS.append(panel)


def _file_in(state: FormState) -> business_file.FileIn:
    v, errors = state.values, state.errors
    rate = forms.number(v["commission_rate"], errors, "commission_rate")
    if not v["commission_rate"]:
        errors["commission_rate"] = forms.REQUIRED
    amount = forms.money(v["commission_amount"], errors, "commission_amount")
    days = forms.whole(v["remittance_days"], errors, "remittance_days", 0, business_file.MAX_DAYS)
    return business_file.FileIn(
        rate, amount, v["commission_collection"], v["remittance"], days, forms.uuid_or_none(v["served_by"])
    )


@router.post("/policies/{policy_id}/business-file")
def save_business_file(
    policy_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    business_file.keeper_of(session, actor, policy_id)
    state = FormState(values={n: forms.text(form, n, 60) for n in FILE_FIELDS})
    data = _file_in(state)
    try:
        if state.errors:
            raise InvalidInput(fields={k: str(v) for k, v in state.errors.items()})
        business_file.save(session, actor, policy_id, data, at=clock.now())
    except TandemError as exc:
        if state.errors:
            session.rollback()
            return policy_view(request, actor, session, policy_id, states={"bfile": state}, status=422)

        def show(states: dict[str, FormState] | None = None, alert: object = None, status: int = 200) -> Response:
            return policy_view(request, actor, session, policy_id, states=states, alert=alert, status=status)

        return forms.failed_form(session, _named(exc, FILE_FIELDS, "commission_rate"), "bfile", state, show)
    return RedirectResponse(f"/policies/{policy_id}?done=business_file#business-file", 303)
