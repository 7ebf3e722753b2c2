"""Invoices of adjusters' fees (公估费发票), their payments and the per-firm numbering counter.

An invoice's content (number, date, lines, amounts, due date, the engine's output document) never changes
once issued; only its state moves (issued → accepted | disputed | part_paid | paid; disputed → replaced).
A correction is a new invoice that names the one it replaces (``replaces_id``)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, Money, UTCDateTime, new_id


class InvoiceCounter(Base):
    """The last invoice number a firm issued in a year: locked FOR UPDATE while the next one is taken, so
    the numbers of a firm are consecutive with no gap (a rolled-back raise gives its number back)."""

    __tablename__ = "fee_invoice_counter"

    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(Base):
    """One invoice of a firm's fee on one case, to the payer the fee terms name."""

    __tablename__ = "fee_invoice"
    __table_args__ = (UniqueConstraint("firm_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), index=True)
    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointment.id", ondelete="RESTRICT"))
    side: Mapped[str] = mapped_column(String(16))  # the letter's side: broker | insurer
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    payer_kind: Mapped[str] = mapped_column(String(16))  # insurer | insured | broker (the terms' payer)
    number: Mapped[str] = mapped_column(String(40))
    invoice_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    fee: Mapped[Decimal] = mapped_column(Money)
    expenses: Mapped[Decimal] = mapped_column(Money)
    vat: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    calculation: Mapped[dict[str, Any]] = mapped_column(JSON)  # the fee engine's output document
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("fee_invoice.id", ondelete="RESTRICT"), unique=True
    )
    reissue_reason: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    state: Mapped[str] = mapped_column(String(16), index=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    disputed_lines: Mapped[list[str] | None] = mapped_column(JSON)  # None: the whole invoice
    settled_on: Mapped[dt.date | None] = mapped_column(Date)  # the day of the payment that settled it


class InvoicePayment(Base):
    """A payment the payer records against an invoice (part or full)."""

    __tablename__ = "fee_invoice_payment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fee_invoice.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(100))
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
