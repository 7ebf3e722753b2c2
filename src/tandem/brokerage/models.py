"""The client money ledger (客户资金, the broker's 客户资金专用账户, regulation.md §1.9) and the business file
of a placed policy (业务档案, regulation.md §1.5).

A ledger entry is never changed: a correction is a new entry that reverses one (``reverses_id``, with a
reason) and carries the negated amount, so the two net to zero. A pay-out names the receipt it passes on
(``receipt_id``); what a receipt still holds is its amount less its pay-outs (reversals included)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, DecimalText, Money, UTCDateTime, new_id


class ClientMoneyEntry(Base):
    """One movement of client money on the broker's client-money account."""

    __tablename__ = "client_money_entry"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="not_zero"),
        Index("ix_client_money_entry_broker_date", "broker_id", "value_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    broker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    # premium_received | premium_remitted | claim_received | claim_paid | refund_received | refund_paid
    kind: Mapped[str] = mapped_column(String(24))
    amount: Mapped[Decimal] = mapped_column(Money)  # positive; a reversal carries the negated amount
    currency: Mapped[str] = mapped_column(String(3))
    value_date: Mapped[dt.date] = mapped_column(Date)  # the Asia/Shanghai day the bank booked it
    counterpart_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    insurer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy.id", ondelete="RESTRICT"), index=True)
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"))
    # The insurer's recorded claim payment a claim receipt books (claim.models.Payment), when there is one.
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payment.id", ondelete="RESTRICT"))
    receipt_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("client_money_entry.id", ondelete="RESTRICT"), index=True
    )
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("client_money_entry.id", ondelete="RESTRICT"), unique=True
    )
    reason: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(String(100))
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class BusinessFile(Base):
    """The business-file fields of a placed policy that the policy itself does not hold (§1.5, Art. 44):
    the commission and how it is collected, how and when premium is remitted, the staff member who served."""

    __tablename__ = "policy_business_file"

    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy.id", ondelete="RESTRICT"), primary_key=True)
    commission_rate: Mapped[Decimal] = mapped_column(DecimalText)  # 0..1 of the premium
    commission_amount: Mapped[Decimal] = mapped_column(Money)
    commission_collection: Mapped[str] = mapped_column(String(16))  # deducted | invoiced
    remittance: Mapped[str] = mapped_column(String(16))  # gross | net (of commission)
    remittance_days: Mapped[int] = mapped_column()  # calendar days after receipt
    served_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    updated_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
