"""Invoices of adjusters' fees (公估费发票) and the receivables they make (应收账款).

Once its report is submitted the firm raises an invoice from the fee terms its letter fixed: a number
gap-free per firm and year (``GF-2027-000001``), the date (the Asia/Shanghai day of the injectable clock),
the lines (fee, expenses, VAT) and total the fee engine computes, and the due date (date + payment days).
The payer the terms name (insurer, insured or broker) accepts it, disputes it (whole or some lines) with
reasons, and records payments, part or full, never above what is still open. The firm answers a dispute by
a reissue: a new invoice, with a new number, that names the one it replaces. Every move goes through the
transition table with an audit event on the case's chain, in the same transaction.

Reminders reach the payer a week before and on the due date; more than 30 days overdue the invoice is
escalated to the payer's managers (``fees.ageing``). Other modules read the payers' habits through
:func:`days_to_pay_by_payer`.
"""

from __future__ import annotations

import datetime as dt
import statistics
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, Role, User, UserRole
from tandem.audit import service as audit
from tandem.case import audience, letters
from tandem.case.models import Case
from tandem.claim.models import Appointment, Participation, PartyRole
from tandem.db import Money, insert_or_skip
from tandem.fees import ageing
from tandem.fees.engine import FeeInputError, fee_document
from tandem.fees.models import Invoice, InvoiceCounter, InvoicePayment
from tandem.kit import transition
from tandem.kit.clock import SHANGHAI, local_day
from tandem.kit.errors import ActionNotAllowed, Conflict, IllegalTransition, InvalidInput, NotFound
from tandem.kit.i18n import DEFAULT_LOCALE, N_, format_date, format_money, translate_message
from tandem.kit.limits import reason_text
from tandem.kit.transition import move
from tandem.notification.outbox import enqueue
from tandem.notification.service import notify
from tandem.report.models import Report

LINES = ("fee", "expenses", "vat")
OPEN = ("issued", "accepted", "part_paid")  # owed and ageing (a disputed invoice waits for its reissue)
STATES = ("issued", "accepted", "disputed", "part_paid", "paid", "replaced")
NUMBER_PREFIX = "GF"  # 公估费

# Who acts for the payer, by the terms' payer; who acts for the firm.
PAYER_ROLES = {
    "insurer": Role.INSURER_CLAIMS_HANDLER,
    "broker": Role.BROKER_ACCOUNT_MANAGER,
    "insured": Role.INSURED_CONTACT,
}
# Escalation past 30 days overdue: the payer organisation's administrator (ORG_ADMIN); a payer without one
# falls back to its managing roles: an insurer's whole staff, a broker's account managers, the insured.
MANAGER_ROLES = {
    "insurer": (Role.INSURER_CLAIMS_HANDLER, Role.INSURER_UNDERWRITER),
    "broker": (Role.BROKER_ACCOUNT_MANAGER,),
    "insured": (Role.INSURED_CONTACT,),
}
FIRM_ROLES = frozenset({Role.ADJUSTER.value, Role.ADJUSTER_FIRM_ADMIN.value})
PAYERS = frozenset(r.value for r in PAYER_ROLES.values())
SYSTEM = frozenset({"system"})


def _r(to: str, roles: frozenset[str]) -> transition.Rule:
    return transition.Rule(to, roles)


# (state, action) -> rule: ``pay`` leaves something open, ``settle`` pays the rest.
TABLE: transition.Table = {
    ("issued", "accept"): _r("accepted", PAYERS),
    ("issued", "dispute"): _r("disputed", PAYERS),
    ("issued", "pay"): _r("part_paid", PAYERS),
    ("issued", "settle"): _r("paid", PAYERS),
    ("accepted", "pay"): _r("part_paid", PAYERS),
    ("accepted", "settle"): _r("paid", PAYERS),
    ("part_paid", "pay"): _r("part_paid", PAYERS),
    ("part_paid", "settle"): _r("paid", PAYERS),
    ("disputed", "reissue"): _r("replaced", FIRM_ROLES),
}

# What each event is called in a notification (msgids).
EVENTS = {
    "fees.invoice_issued": N_("Invoice {number} of {firm}: {total}, due {due}"),
    "fees.invoice_accepted": N_("Invoice {number} was accepted"),
    "fees.invoice_disputed": N_("Invoice {number} is disputed"),
    "fees.invoice_reissued": N_("Invoice {number} replaces the disputed invoice {replaced}: {total}, due {due}"),
    "fees.payment_recorded": N_("Payment of {amount} recorded on invoice {number}"),
    "fees.invoice_reminder": N_("Reminder: invoice {number} of {firm} ({open} open) is due {due}"),
    "fees.invoice_escalated": N_("Invoice {number} of {firm} is more than 30 days overdue: {open} open since {due}"),
}
REASON = N_("Reasons: {reason}")
NO_REPORT = N_("The firm has submitted no report on this case yet.")


class AlreadyInvoiced(Conflict):
    code = "fees.already_invoiced"
    message = "This engagement is already invoiced; a correction is a reissue of a disputed invoice."


class NotInvoiceable(Conflict):
    code = "fees.not_invoiceable"
    message = "Only the appointed firm invoices, after its report, on an accepted letter with fee terms."


# ---- reading ----------------------------------------------------------------------------------------


def sees(session: Session, actor: Actor, inv: Invoice) -> bool:
    """The firm, the payer and the fee terms' readers on the case (the instructing party); nobody else."""
    if actor.is_admin or actor.org_id in (inv.firm_id, inv.payer_id):
        return True
    case = session.get(Case, inv.case_id)
    return case is not None and audience.viewer(session, actor, case).sees_fees(inv.side)


def get_invoice(session: Session, actor: Actor, invoice_id: Any, *, lock: bool = False) -> Invoice:
    """The invoice through the case's access check: not a party, or not a reader of its fees, is the same
    404 as no such invoice."""
    try:
        ident = uuid.UUID(str(invoice_id))
    except ValueError:
        raise NotFound() from None
    stmt = select(Invoice).where(Invoice.id == ident)
    if lock:
        stmt = stmt.with_for_update()
    inv = session.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none()
    if inv is None:
        raise NotFound()
    scope.get_case(session, actor, inv.case_id)
    if not sees(session, actor, inv):
        raise NotFound()
    return inv


def case_invoices(session: Session, actor: Actor, case_id: Any) -> list[Invoice]:
    """The invoices of one case the actor may read (the case's access check first)."""
    case = scope.get_case(session, actor, case_id)
    rows = session.execute(
        select(Invoice).where(Invoice.case_id == case.id).order_by(Invoice.issued_at, Invoice.number)
    ).scalars()
    return [inv for inv in rows if sees(session, actor, inv)]


def paid_amount(session: Session, invoice_id: uuid.UUID) -> Decimal:
    total = session.execute(
        select(func.sum(InvoicePayment.amount, type_=Money)).where(InvoicePayment.invoice_id == invoice_id)
    ).scalar_one()
    return total if total is not None else Decimal("0.00")


def open_amount(session: Session, inv: Invoice) -> Decimal:
    if inv.state not in OPEN:
        return Decimal("0.00")
    return inv.total - paid_amount(session, inv.id)


def payments(session: Session, invoice_id: uuid.UUID) -> list[InvoicePayment]:
    stmt = (
        select(InvoicePayment)
        .where(InvoicePayment.invoice_id == invoice_id)
        .order_by(InvoicePayment.paid_on, InvoicePayment.recorded_at)
    )
    return list(session.execute(stmt).scalars())


def lines(inv: Invoice) -> list[dict[str, Any]]:
    """The invoice's lines: the fee, the reimbursed expenses and the VAT on both."""
    return [
        {"code": "fee", "amount": inv.fee},
        {"code": "expenses", "amount": inv.expenses},
        {"code": "vat", "amount": inv.vat},
    ]


def replacement_of(session: Session, inv: Invoice) -> Invoice | None:
    return session.execute(select(Invoice).where(Invoice.replaces_id == inv.id)).scalar_one_or_none()


# ---- numbering --------------------------------------------------------------------------------------


def next_number(session: Session, firm_id: uuid.UUID, on: dt.date) -> str:
    """The firm's next invoice number of the year, gap-free: the counter row is locked (SELECT … FOR
    UPDATE) until the raising transaction ends, so concurrent raises queue behind it and a rolled-back
    raise gives its number back."""
    session.execute(
        insert_or_skip(session, InvoiceCounter, "firm_id", "year").values(firm_id=firm_id, year=on.year, value=0)
    )
    counter = session.execute(
        select(InvoiceCounter)
        .where(InvoiceCounter.firm_id == firm_id, InvoiceCounter.year == on.year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    counter.value += 1
    session.flush()
    return f"{NUMBER_PREFIX}-{on.year}-{counter.value:06d}"


# ---- raising and reissuing --------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkIn:
    """What the firm bills for: the assessed loss (default: its latest report's), hours, expenses incurred."""

    assessed_loss: Decimal | None = None
    hours: Decimal | None = None
    expenses_incurred: Decimal | None = None


def _latest_report(session: Session, letter: Appointment) -> Report | None:
    """The firm's newest report for what its letter instructs: a termination letter's own report kind;
    the case's own letter any other report of the firm on the case."""
    if letter.purpose == letters.TERMINATION:
        kind = Report.kind == letters.TERMINATION
    else:
        kind = Report.kind != letters.TERMINATION
    return session.execute(
        select(Report)
        .where(Report.case_id == letter.case_id, Report.firm_id == letter.firm_id, kind)
        .order_by(Report.submitted_at.desc(), Report.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def _calculate(case: Case, letter: Appointment, work: WorkIn, report: Report, on: dt.date) -> dict[str, Any]:
    """The fee engine's output document for these terms and this work (a 422 names the ``work.*`` field)."""
    engagement = letters.engagement_of(case, letter.side, letter.purpose)
    figures = {
        "assessed_loss": work.assessed_loss if work.assessed_loss is not None else report.total_loss,
        "hours": work.hours,
        "expenses_incurred": work.expenses_incurred,
    }
    doc = {
        "engagement": {"kind": engagement.kind.value, "instructed_by": engagement.instructed_by.value},
        "terms": letter.fee_terms,
        "work": {k: f"{v:f}" for k, v in figures.items() if v is not None},
        "invoice_date": on.isoformat(),
    }
    try:
        return fee_document(doc)
    except FeeInputError as exc:
        raise InvalidInput(fields={exc.path: exc.message}) from None


def _payer(session: Session, letter: Appointment, payer_kind: str) -> Organisation:
    """The organisation that pays: the instructing party when it is the payer, else the case's party of
    the payer's kind (the insurer on a claim, the insured or the broker on a pre-assessment)."""
    instructing = letters.instructing_party(session, letter)
    if instructing is not None and letter.side == payer_kind:
        return instructing
    org_id = session.execute(
        select(Participation.organisation_id)
        .where(Participation.case_id == letter.case_id, Participation.party_role == PartyRole(payer_kind))
        .order_by(Participation.since)
        .limit(1)
    ).scalar_one_or_none()
    org = session.get(Organisation, org_id) if org_id else None
    if org is None:
        raise NotInvoiceable("The payer the fee terms name does not take part in the case.")
    return org


def _firm_letter(session: Session, actor: Actor, case: Case, side: str, purpose: str | None) -> Appointment:
    if actor.org_kind != OrgKind.ADJUSTER_FIRM or not actor.has_any(FIRM_ROLES):
        raise ActionNotAllowed()
    letter = letters.current_letter(session, case, side, purpose)
    if letter is None or letter.firm_id != actor.org_id:
        raise ActionNotAllowed()
    if letter.state != "accepted" or not letter.fee_terms:
        raise NotInvoiceable()
    return letter


def raise_invoice(
    session: Session,
    actor: Actor,
    case_id: Any,
    work: WorkIn,
    *,
    at: dt.datetime,
    side: str = "broker",
    purpose: str | None = None,
) -> Invoice:
    """The firm invoices its engagement on the case (its letter of ``side`` and ``purpose``, the case's own
    by default) once its report is submitted (one live invoice per engagement: a correction is a
    reissue)."""
    case = scope.get_case(session, actor, case_id)
    letter = _firm_letter(session, actor, case, side, purpose)
    live = session.execute(
        select(Invoice.id).where(Invoice.appointment_id == letter.id, Invoice.state != "replaced")
    ).first()
    if live is not None:
        raise AlreadyInvoiced()
    inv = _issue(session, actor, case, letter, work, at=at)
    _record(session, actor, "fees.invoice_issued", inv, at=at, after=_issued_after(inv))
    _tell_payer(session, inv, "fees.invoice_issued", at=at, skip=actor.user_id)
    return inv


def _issue(
    session: Session, actor: Actor, case: Case, letter: Appointment, work: WorkIn, *, at: dt.datetime
) -> Invoice:
    report = _latest_report(session, letter)
    if report is None:
        raise NotInvoiceable(NO_REPORT)
    on = local_day(at)
    calc = _calculate(case, letter, work, report, on)
    payer_kind = calc["terms"]["payer"]
    payer = _payer(session, letter, payer_kind)
    inv = Invoice(
        case_id=case.id,
        appointment_id=letter.id,
        side=letter.side,
        firm_id=letter.firm_id,
        payer_id=payer.id,
        payer_kind=payer_kind,
        number=next_number(session, letter.firm_id, on),
        invoice_date=on,
        due_date=dt.date.fromisoformat(calc["due_date"]),
        fee=Decimal(calc["fee"]),
        expenses=Decimal(calc["expenses"]),
        vat=Decimal(calc["vat"]),
        total=Decimal(calc["total"]),
        calculation=calc,
        issued_at=at,
        issued_by=actor.user_id,
        state="issued",
    )
    session.add(inv)
    session.flush()
    _schedule(session, inv, at)
    return inv


def reissue(session: Session, actor: Actor, invoice_id: Any, work: WorkIn, *, reason: str, at: dt.datetime) -> Invoice:
    """The firm's answer to a dispute: the disputed invoice is replaced by a new one (new number, today's
    date, a new due date) computed from the same terms with the corrected work figures."""
    old = get_invoice(session, actor, invoice_id, lock=True)
    if actor.org_id != old.firm_id:
        raise ActionNotAllowed()
    text = reason_text(reason)
    case = scope.get_case(session, actor, old.case_id)
    letter = session.get(Appointment, old.appointment_id)
    assert letter is not None
    before, after = move(session, old, TABLE, "reissue", _roles(actor))
    new = _issue(session, actor, case, letter, work, at=at)
    new.replaces_id, new.reissue_reason = old.id, text
    session.flush()
    _record(
        session,
        actor,
        "fees.invoice_replaced",
        old,
        at=at,
        before={"state": before},
        after={"state": after, "by": new.number},
        reason=text,
    )
    _record(
        session,
        actor,
        "fees.invoice_reissued",
        new,
        at=at,
        after={**_issued_after(new), "replaces": old.number},
        reason=text,
    )
    _tell_payer(session, new, "fees.invoice_reissued", at=at, skip=actor.user_id, replaced=old.number, reason=text)
    return new


# ---- the payer's answers ----------------------------------------------------------------------------


def _roles(actor: Actor) -> frozenset[str]:
    return frozenset(r.value for r in actor.roles)


def _payer_invoice(session: Session, actor: Actor, invoice_id: Any) -> Invoice:
    inv = get_invoice(session, actor, invoice_id, lock=True)
    if actor.org_id != inv.payer_id or not actor.has_any(frozenset({PAYER_ROLES[inv.payer_kind].value})):
        raise ActionNotAllowed()
    return inv


def accept(session: Session, actor: Actor, invoice_id: Any, *, at: dt.datetime) -> Invoice:
    inv = _payer_invoice(session, actor, invoice_id)
    before, after = move(
        session, inv, TABLE, "accept", _roles(actor), values={"answered_at": at, "answered_by": actor.user_id}
    )
    _record(session, actor, "fees.invoice_accepted", inv, at=at, before={"state": before}, after={"state": after})
    _tell_firm(session, inv, "fees.invoice_accepted", at=at)
    return inv


def dispute(
    session: Session, actor: Actor, invoice_id: Any, *, reason: str, disputed: Sequence[str] | None, at: dt.datetime
) -> Invoice:
    """The payer disputes the whole invoice (``disputed`` empty or None) or some of its lines, with reasons."""
    text = reason_text(reason)
    chosen = list(dict.fromkeys(disputed or []))
    unknown = [c for c in chosen if c not in LINES]
    if unknown:
        raise InvalidInput("Unknown invoice line.", fields={"lines": f"each one of {', '.join(LINES)}"})
    inv = _payer_invoice(session, actor, invoice_id)
    values = {"answered_at": at, "answered_by": actor.user_id, "dispute_reason": text, "disputed_lines": chosen or None}
    before, after = move(session, inv, TABLE, "dispute", _roles(actor), values=values)
    _record(
        session,
        actor,
        "fees.invoice_disputed",
        inv,
        at=at,
        before={"state": before},
        after={"state": after, "lines": chosen or list(LINES)},
        reason=text,
    )
    _tell_firm(session, inv, "fees.invoice_disputed", at=at, reason=text)
    return inv


def record_payment(
    session: Session,
    actor: Actor,
    invoice_id: Any,
    *,
    amount: Decimal,
    paid_on: dt.date,
    reference: str,
    at: dt.datetime,
) -> Invoice:
    """A payment, part or full: at most what is still open (a 422 naming ``amount``), not in the future."""
    inv = _payer_invoice(session, actor, invoice_id)  # locked: two payments never both pass the check
    if inv.state not in OPEN:
        raise IllegalTransition(action="pay", state=inv.state)
    left = inv.total - paid_amount(session, inv.id)
    if amount <= 0:
        raise InvalidInput("Enter an amount above zero.", fields={"amount": "must be above 0.00"})
    if amount > left:
        raise InvalidInput("The payment is above the open amount.", fields={"amount": f"at most {left:.2f}"})
    if paid_on > local_day(at):
        raise InvalidInput("The payment date is in the future.", fields={"paid_on": "not after today"})
    if paid_on < inv.invoice_date:
        raise InvalidInput("The payment date is before the invoice.", fields={"paid_on": "not before the invoice date"})
    action = "settle" if amount == left else "pay"
    values: dict[str, Any] = {"settled_on": paid_on} if action == "settle" else {}
    before, after = move(session, inv, TABLE, action, _roles(actor), values=values)
    session.add(
        InvoicePayment(
            invoice_id=inv.id,
            amount=amount,
            paid_on=paid_on,
            reference=reference,
            recorded_by=actor.user_id,
            recorded_at=at,
        )
    )
    session.flush()
    _record(
        session,
        actor,
        "fees.payment_recorded",
        inv,
        at=at,
        before={"state": before},
        after={
            "state": after,
            "amount": f"{amount:.2f}",
            "paid_on": paid_on.isoformat(),
            "open": f"{left - amount:.2f}",
        },
    )
    _tell_firm(session, inv, "fees.payment_recorded", at=at, amount=format_money(amount))
    return inv


# ---- audit and notifications ------------------------------------------------------------------------


def _issued_after(inv: Invoice) -> dict[str, Any]:
    return {
        "state": inv.state,
        "number": inv.number,
        "invoice_date": inv.invoice_date.isoformat(),
        "due_date": inv.due_date.isoformat(),
        "fee": f"{inv.fee:.2f}",
        "expenses": f"{inv.expenses:.2f}",
        "vat": f"{inv.vat:.2f}",
        "total": f"{inv.total:.2f}",
        "payer_id": str(inv.payer_id),
    }


def readers(inv: Invoice) -> list[str]:
    """The sides of the case that read an invoice's events: the fee terms' readers and the payer."""
    return sorted({*audience.FEE_READERS.get(inv.side, []), inv.payer_kind})


def _record(
    session: Session,
    actor: Actor | None,
    action: str,
    inv: Invoice,
    *,
    at: dt.datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    audit.record(
        session,
        actor.ref if actor else audit.SYSTEM,
        action=action,
        entity_type=Invoice.__tablename__,
        entity_id=inv.id,
        at=at,
        chain_key=f"case:{inv.case_id}",
        before=before,
        after={"number": inv.number, **(after or {})},
        reason=reason,
        request_id=actor.request_id if actor else None,
        audience=readers(inv),
    )


def users_with_roles(session: Session, org_id: uuid.UUID, roles: Iterable[Role]) -> list[User]:
    stmt = (
        select(User)
        .join(UserRole)
        .where(User.organisation_id == org_id, User.active.is_(True), UserRole.role.in_(list(roles)))
        .order_by(User.username)
    )
    return list(session.execute(stmt).unique().scalars())


def link(inv: Invoice) -> str:
    return f"/invoices/{inv.id}"


def _params(session: Session, inv: Invoice, locale: str, extra: dict[str, Any]) -> dict[str, Any]:
    firm = session.get(Organisation, inv.firm_id)
    return {
        "number": inv.number,
        "firm": firm.name if firm else "",
        "total": format_money(inv.total, locale=locale),
        "due": format_date(inv.due_date, locale=locale),
        "open": format_money(open_amount(session, inv), locale=locale),
        **extra,
    }


def _tell(
    session: Session,
    users: list[User],
    inv: Invoice,
    action: str,
    *,
    at: dt.datetime,
    key: str,
    skip: uuid.UUID | None = None,
    reason: str | None = None,
    **extra: Any,
) -> None:
    """Notify each user once per ``key``, in the user's language."""
    by_locale: dict[str, list[User]] = {}
    for u in users:
        if u.id != skip:
            by_locale.setdefault(u.locale or DEFAULT_LOCALE, []).append(u)
    for locale, group in by_locale.items():
        subject = translate_message(EVENTS[action], _params(session, inv, locale, extra), locale)
        body = [subject] + ([translate_message(REASON, {"reason": reason}, locale)] if reason else [])
        notify(session, group, subject=subject[:200], body="\n".join(body), now=at, link=link(inv), key=key)


def _tell_payer(
    session: Session, inv: Invoice, action: str, *, at: dt.datetime, key: str | None = None, **extra: Any
) -> None:
    users = users_with_roles(session, inv.payer_id, [PAYER_ROLES[inv.payer_kind]])
    _tell(session, users, inv, action, at=at, key=key or f"fees:{inv.id}:{action}", **extra)


def _tell_firm(session: Session, inv: Invoice, action: str, *, at: dt.datetime, **extra: Any) -> None:
    users = users_with_roles(session, inv.firm_id, [Role.ADJUSTER_FIRM_ADMIN])
    issuer = session.get(User, inv.issued_by)
    if issuer is not None and issuer.active and issuer not in users:
        users.append(issuer)
    _tell(session, users, inv, action, at=at, key=f"fees:{inv.id}:{action}:{at.isoformat()}", **extra)


# ---- reminders and escalation (outbox jobs on the injectable clock) ---------------------------------


def _local_morning(day: dt.date) -> dt.datetime:
    """09:00 Asia/Shanghai on ``day``, in UTC."""
    return dt.datetime.combine(day, dt.time(9), tzinfo=SHANGHAI).astimezone(dt.UTC)


def _schedule(session: Session, inv: Invoice, at: dt.datetime) -> None:
    """The reminders (a week before and on the due date) and the escalation, as durable outbox jobs."""
    before, on_due = ageing.reminder_dates(inv.due_date)
    ident = {"invoice_id": str(inv.id)}
    for stage, day in (("before", before), ("due", on_due)):
        enqueue(
            session,
            "fees.invoice_reminder",
            {**ident, "stage": stage},
            now=at,
            not_before=max(_local_morning(day), at),
            dedupe_key=f"fees:remind:{inv.id}:{stage}",
        )
    enqueue(
        session,
        "fees.invoice_escalate",
        ident,
        now=at,
        not_before=_local_morning(ageing.escalation_date(inv.due_date)),
        dedupe_key=f"fees:escalate:{inv.id}",
    )


def remind(session: Session, invoice_id: uuid.UUID, stage: str, now: dt.datetime) -> bool:
    """The payer's reminder, if the invoice is still open (a paid, disputed or replaced one is not)."""
    inv = session.get(Invoice, invoice_id)
    if inv is None or inv.state not in OPEN:
        return False
    _tell_payer(session, inv, "fees.invoice_reminder", at=now, key=f"fees:{inv.id}:reminder:{stage}")
    _record(session, None, "fees.invoice_reminded", inv, at=now, after={"stage": stage})
    return True


def escalate(session: Session, invoice_id: uuid.UUID, now: dt.datetime) -> bool:
    """More than 30 days overdue and still open: the payer's administrator is told (its managers when it has
    none), and the firm's administrators."""
    inv = session.get(Invoice, invoice_id)
    if (
        inv is None
        or inv.state not in OPEN
        or ageing.days_overdue(inv.due_date, local_day(now)) <= ageing.ESCALATE_AFTER_DAYS
    ):
        return False
    users = users_with_roles(session, inv.payer_id, [Role.ORG_ADMIN]) or users_with_roles(
        session, inv.payer_id, MANAGER_ROLES[inv.payer_kind]
    )
    users += [u for u in users_with_roles(session, inv.firm_id, [Role.ADJUSTER_FIRM_ADMIN]) if u not in users]
    _tell(session, users, inv, "fees.invoice_escalated", at=now, key=f"fees:{inv.id}:escalated")
    _record(
        session,
        None,
        "fees.invoice_escalated",
        inv,
        at=now,
        after={"days_overdue": ageing.days_overdue(inv.due_date, local_day(now))},
    )
    return True


# ---- receivables, payables, days-to-pay -------------------------------------------------------------


def _open_rows(session: Session, stmt: Select[Any]) -> list[tuple[Invoice, Decimal]]:
    paid = (
        select(InvoicePayment.invoice_id, func.sum(InvoicePayment.amount, type_=Money).label("paid"))
        .group_by(InvoicePayment.invoice_id)
        .subquery()
    )
    rows = session.execute(
        stmt.add_columns(paid.c.paid).outerjoin(paid, paid.c.invoice_id == Invoice.id).where(Invoice.state.in_(OPEN))
    ).all()
    return [(inv, inv.total - (p if p is not None else Decimal("0.00"))) for inv, p in rows]


def receivables(session: Session, actor: Actor, now: dt.datetime) -> Ledger:
    """The firm's open invoices and their ageing per payer."""
    if actor.org_kind != OrgKind.ADJUSTER_FIRM:
        return Ledger([], {}, {})
    return _ledger(session, select(Invoice).where(Invoice.firm_id == actor.org_id), "payer", now)


def payables(session: Session, actor: Actor, now: dt.datetime) -> Ledger:
    """The payer's open invoices and their ageing per firm."""
    if actor.org_kind not in (OrgKind.INSURER, OrgKind.BROKER, OrgKind.INSURED):
        return Ledger([], {}, {})
    return _ledger(session, select(Invoice).where(Invoice.payer_id == actor.org_id), "firm", now)


@dataclass(frozen=True)
class Ledger:
    """Open invoices with what is still owed on each, the ageing per counterparty, and their names."""

    items: list[tuple[Invoice, Decimal]]
    ageing: dict[str, dict[str, Decimal]]
    names: dict[str, str]


def _ledger(session: Session, stmt: Select[Any], by: str, now: dt.datetime) -> Ledger:
    rows = _open_rows(session, stmt.order_by(Invoice.due_date, Invoice.number))
    today = local_day(now)
    items = (
        ageing.OpenItem(str(inv.payer_id if by == "payer" else inv.firm_id), inv.due_date, left) for inv, left in rows
    )
    table = ageing.ageing(items, today)
    return Ledger(rows, table, org_names(session, [uuid.UUID(k) for k in table]))


def org_names(session: Session, ids: list[uuid.UUID]) -> dict[str, str]:
    if not ids:
        return {}
    return {
        str(i): n
        for i, n in session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))
    }


def payers_of(session: Session, firm_id: uuid.UUID) -> list[uuid.UUID]:
    """Every organisation the firm has invoiced."""
    return list(session.execute(select(Invoice.payer_id).where(Invoice.firm_id == firm_id).distinct()).scalars())


@dataclass(frozen=True)
class PayerDays:
    """How one payer pays: the median calendar days from invoice to the payment that settled it, the
    number of invoices settled, and how many distinct insureds' cases they were on."""

    median_days: Decimal | None
    settled: int
    insureds: int


def days_to_pay_by_payer(session: Session, org_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, PayerDays]:
    """Per payer organisation: the median days-to-pay of its settled invoices (one decimal, half up) and
    the distinct insureds of their cases (so a reader can hide figures from fewer than 5 insureds). A payer
    with nothing settled has ``median_days`` None. Read by the insurers' integrity record."""
    ids = list(org_ids)
    out = {i: PayerDays(None, 0, 0) for i in ids}
    if not ids:
        return out
    rows = session.execute(
        select(Invoice.payer_id, Invoice.id, Invoice.invoice_date, Invoice.settled_on, Participation.organisation_id)
        .outerjoin(
            Participation,
            (Participation.case_id == Invoice.case_id) & (Participation.party_role == PartyRole.INSURED),
        )
        .where(Invoice.payer_id.in_(ids), Invoice.state == "paid", Invoice.settled_on.is_not(None))
    ).all()
    days: dict[uuid.UUID, dict[uuid.UUID, int]] = {}
    insureds: dict[uuid.UUID, set[uuid.UUID]] = {}
    for payer, invoice_id, issued, settled, insured in rows:
        if settled is not None:
            days.setdefault(payer, {})[invoice_id] = ageing.days_to_pay(issued, settled)
        if insured is not None:
            insureds.setdefault(payer, set()).add(insured)
    for payer, per in days.items():
        median = Decimal(str(statistics.median(per.values()))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        out[payer] = PayerDays(median, len(per), len(insureds.get(payer, set())))
    return out
