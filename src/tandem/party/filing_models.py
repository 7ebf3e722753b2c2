"""An adjuster firm's filing (备案) and its change reports (变更报告): states move by the tables of
``tandem.party.filing``; each move is an audit event."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, Money, UTCDateTime, new_id


class FirmFiling(Base):
    """The firm's filing with supervision (备案, 2021 实施办法 Arts. 52-66): one per firm, prepared
    (``draft``), ``submitted`` by the firm's administrator, ``returned`` with reasons or ``published`` by
    supervision with the filing number and date. ``shareholders``: ``[{"name", "kind" (person|company),
    "share" (a decimal string, %), "adjuster" (is a 公估师)}]``; ``roster``: the 公估师 (the firm's
    practitioners) as submitted; ``liability``: the professional-liability insurance ``{"insurer",
    "policy_no", "limit", "starts_on", "ends_on"}``, or else ``risk_fund`` (职业风险基金)."""

    __tablename__ = "firm_filing"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("adjuster_firm.organisation_id", ondelete="RESTRICT"), unique=True
    )
    state: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    capital: Mapped[Decimal] = mapped_column(Money)
    business_area: Mapped[list[str]] = mapped_column(JSON, default=list)
    shareholders: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    roster: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    liability: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    risk_fund: Mapped[Decimal | None] = mapped_column(Money)
    filing_no: Mapped[str | None] = mapped_column(String(40))
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    return_reasons: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class FirmChangeReport(Base):
    """A change report (变更报告) of name, address, shareholders or capital: recorded with the date of the
    change (``open``), ``submitted`` with its details, ``acknowledged`` by supervision. Due within 5 working
    days of the change (``due_on``, an Asia/Shanghai date)."""

    __tablename__ = "firm_change_report"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("adjuster_firm.organisation_id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    changed_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    details: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
