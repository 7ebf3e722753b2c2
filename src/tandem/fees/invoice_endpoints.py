"""Invoices API (公估费发票): the firm raises and reissues, the payer accepts, disputes and pays; the
firm's receivables and the payer's payables with their ageing. Every read goes through the case's access
check (an outsider's 404 is the same as for no invoice)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.fees import documents, invoices
from tandem.fees.invoices import Ledger, WorkIn
from tandem.fees.models import Invoice
from tandem.kit.clock import local_day
from tandem.kit.limits import REASON_MAX
from tandem.schemas import Date, MoneyIn, MoneyOut, Strict

router = APIRouter(prefix="/api/v1", tags=["invoices"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}
ACT: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed"},
    409: {"description": "Not possible in this state, or changed meanwhile"},
    422: {"description": "Invalid input; error.fields names the field"},
    **NF,
}
Reason = Annotated[str, Field(min_length=1, max_length=REASON_MAX)]
Hours = Annotated[Decimal, Field(allow_inf_nan=False, ge=0)]


class WorkBody(Strict):
    """What the firm bills for (docs/fees.md, ``work``): the assessed loss defaults to the firm's latest
    report's total; hours for an hourly fee; expenses incurred for expenses reimbursed as incurred."""

    assessed_loss: MoneyIn | None = None
    hours: Hours | None = None
    expenses_incurred: MoneyIn | None = None

    def work(self) -> WorkIn:
        return WorkIn(self.assessed_loss, self.hours, self.expenses_incurred)


class RaiseBody(Strict):
    side: Literal["broker", "insurer"] = "broker"
    purpose: Literal["adjusting", "pre_assessment", "termination"] | None = Field(
        None, description="the letter invoiced: the case's own (null), or a placement's termination assessment"
    )
    work: WorkBody = Field(default_factory=WorkBody)


class ReissueBody(Strict):
    reason: Reason
    work: WorkBody = Field(default_factory=WorkBody)


class DisputeBody(Strict):
    reason: Reason
    lines: list[Literal["fee", "expenses", "vat"]] = Field(default_factory=list, max_length=3)


class PaymentBody(Strict):
    amount: MoneyIn
    paid_on: Date
    reference: Annotated[str, Field(min_length=1, max_length=100)]


class LineOut(BaseModel):
    code: str
    amount: MoneyOut


class PaymentOut(BaseModel):
    amount: MoneyOut
    paid_on: dt.date
    reference: str


class InvoiceOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    number: str
    state: str
    firm_id: uuid.UUID
    payer_id: uuid.UUID
    payer_kind: str
    invoice_date: dt.date
    due_date: dt.date
    lines: list[LineOut]
    total: MoneyOut
    paid: MoneyOut
    open: MoneyOut
    dispute_reason: str | None
    disputed_lines: list[str] | None
    replaces: str | None
    replaced_by: str | None
    reissue_reason: str | None
    settled_on: dt.date | None
    payments: list[PaymentOut]
    calculation: dict[str, Any]


class AgeingRow(BaseModel):
    """One counterparty's open amounts by days overdue."""

    org_id: uuid.UUID
    name: str
    current: MoneyOut
    d1_30: MoneyOut = Field(serialization_alias="1-30")
    d31_60: MoneyOut = Field(serialization_alias="31-60")
    d61_90: MoneyOut = Field(serialization_alias="61-90")
    d90: MoneyOut = Field(serialization_alias="90+")
    total: MoneyOut


class LedgerOut(BaseModel):
    as_of: dt.date
    invoices: list[InvoiceOut]
    ageing: list[AgeingRow]


def invoice_out(session: Session, inv: Invoice) -> InvoiceOut:
    paid = invoices.paid_amount(session, inv.id)
    old = session.get(Invoice, inv.replaces_id) if inv.replaces_id else None
    new = invoices.replacement_of(session, inv)
    return InvoiceOut(
        id=inv.id,
        case_id=inv.case_id,
        number=inv.number,
        state=inv.state,
        firm_id=inv.firm_id,
        payer_id=inv.payer_id,
        payer_kind=inv.payer_kind,
        invoice_date=inv.invoice_date,
        due_date=inv.due_date,
        lines=[LineOut(**line) for line in invoices.lines(inv)],
        total=inv.total,
        paid=paid,
        open=invoices.open_amount(session, inv),
        dispute_reason=inv.dispute_reason,
        disputed_lines=inv.disputed_lines,
        replaces=old.number if old else None,
        replaced_by=new.number if new else None,
        reissue_reason=inv.reissue_reason,
        settled_on=inv.settled_on,
        payments=[
            PaymentOut(amount=p.amount, paid_on=p.paid_on, reference=p.reference)
            for p in invoices.payments(session, inv.id)
        ],
        calculation=inv.calculation,
    )


def ledger_out(session: Session, ledger: Ledger, now: dt.datetime) -> LedgerOut:
    rows = [
        AgeingRow(
            org_id=uuid.UUID(key),
            name=ledger.names.get(key, ""),
            current=row["current"],
            d1_30=row["1-30"],
            d31_60=row["31-60"],
            d61_90=row["61-90"],
            d90=row["90+"],
            total=row["total"],
        )
        for key, row in sorted(ledger.ageing.items(), key=lambda kv: ledger.names.get(kv[0], ""))
    ]
    return LedgerOut(
        as_of=local_day(now),
        invoices=[invoice_out(session, inv) for inv, _left in ledger.items],
        ageing=rows,
    )


@router.get("/cases/{case_id}/invoices", response_model=list[InvoiceOut], responses=NF)
def case_invoices(case_id: str, actor: ActorDep, session: SessionDep) -> list[InvoiceOut]:
    return [invoice_out(session, inv) for inv in invoices.case_invoices(session, actor, case_id)]


@router.post("/cases/{case_id}/invoices", response_model=InvoiceOut, status_code=201, responses=ACT)
def raise_invoice(case_id: str, body: RaiseBody, actor: ActorDep, session: SessionDep, clock: ClockDep) -> InvoiceOut:
    inv = invoices.raise_invoice(
        session, actor, case_id, body.work.work(), at=clock.now(), side=body.side, purpose=body.purpose
    )
    return invoice_out(session, inv)


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, responses=NF)
def get_invoice(invoice_id: str, actor: ActorDep, session: SessionDep) -> InvoiceOut:
    return invoice_out(session, invoices.get_invoice(session, actor, invoice_id))


@router.get("/invoices/{invoice_id}/invoice.pdf", responses=NF, response_class=Response)
def invoice_pdf(invoice_id: str, actor: ActorDep, session: SessionDep) -> Response:
    """The invoice as a PDF (Chinese), rendered on request."""
    inv = invoices.get_invoice(session, actor, invoice_id)
    return Response(
        documents.invoice_pdf(session, inv),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{inv.number}.pdf"'},
    )


@router.post("/invoices/{invoice_id}/accept", response_model=InvoiceOut, responses=ACT)
def accept(invoice_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> InvoiceOut:
    return invoice_out(session, invoices.accept(session, actor, invoice_id, at=clock.now()))


@router.post("/invoices/{invoice_id}/dispute", response_model=InvoiceOut, responses=ACT)
def dispute(invoice_id: str, body: DisputeBody, actor: ActorDep, session: SessionDep, clock: ClockDep) -> InvoiceOut:
    inv = invoices.dispute(session, actor, invoice_id, reason=body.reason, disputed=body.lines, at=clock.now())
    return invoice_out(session, inv)


@router.post("/invoices/{invoice_id}/reissue", response_model=InvoiceOut, status_code=201, responses=ACT)
def reissue(invoice_id: str, body: ReissueBody, actor: ActorDep, session: SessionDep, clock: ClockDep) -> InvoiceOut:
    inv = invoices.reissue(session, actor, invoice_id, body.work.work(), reason=body.reason, at=clock.now())
    return invoice_out(session, inv)


@router.post("/invoices/{invoice_id}/payments", response_model=InvoiceOut, responses=ACT)
def pay(invoice_id: str, body: PaymentBody, actor: ActorDep, session: SessionDep, clock: ClockDep) -> InvoiceOut:
    inv = invoices.record_payment(
        session, actor, invoice_id, amount=body.amount, paid_on=body.paid_on, reference=body.reference, at=clock.now()
    )
    return invoice_out(session, inv)


@router.get("/receivables", response_model=LedgerOut, response_model_by_alias=True)
def receivables(actor: ActorDep, session: SessionDep, clock: ClockDep) -> LedgerOut:
    """The firm's open invoices and their ageing per payer (empty for anyone but a firm)."""
    now = clock.now()
    return ledger_out(session, invoices.receivables(session, actor, now), now)


@router.get("/payables", response_model=LedgerOut, response_model_by_alias=True)
def payables(actor: ActorDep, session: SessionDep, clock: ClockDep) -> LedgerOut:
    """The payer's open invoices and their ageing per firm (empty for anyone who pays none)."""
    now = clock.now()
    return ledger_out(session, invoices.payables(session, actor, now), now)
