"""Policies (保单) with sections, sums insured, deductibles and limits."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem.access.models import Organisation, _enum
from tandem.db import Base, DecimalText, Money, UTCDateTime, new_id
from tandem.party.models import Adjuster, InsurerProduct

# The tables a policy bound from a placement points at (issue 15), known wherever policies are.
from tandem.placement import market_models as _market_models  # noqa: F401
from tandem.placement import models as _placement_models  # noqa: F401


class PolicyStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_FORCE = "in_force"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    # Issue 16 (R-U10): 效力中止 until reinstated (复效), or ended early (解除/终止).
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class Policy(Base):
    __tablename__ = "policy"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    insured_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    insurer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    broker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("insurer_product.id", ondelete="RESTRICT"))
    line: Mapped[str] = mapped_column(String(60))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[PolicyStatus] = mapped_column(_enum(PolicyStatus, "policy_status"), index=True)
    designated_adjuster_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"))
    premium: Mapped[Decimal | None] = mapped_column(Money)  # the annual premium written, in ``currency``
    # A policy bound from a placement (issue 15): the placement and the accepted quote.
    placement_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("placement.id", ondelete="RESTRICT"), index=True)
    quote_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("placement_quote.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    insured: Mapped[Organisation] = relationship(foreign_keys=[insured_id], lazy="joined")
    insurer: Mapped[Organisation] = relationship(foreign_keys=[insurer_id], lazy="joined")
    broker: Mapped[Organisation | None] = relationship(foreign_keys=[broker_id], lazy="joined")
    product: Mapped[InsurerProduct | None] = relationship(lazy="joined")
    designated_adjuster: Mapped[Adjuster | None] = relationship(lazy="joined")
    sections: Mapped[list[PolicySection]] = relationship(
        back_populates="policy", lazy="selectin", order_by="PolicySection.position", cascade="all, delete-orphan"
    )


class PolicySection(Base):
    """One section of cover (e.g. building, machinery, stock) with its own sums and deductible."""

    __tablename__ = "policy_section"
    __table_args__ = (UniqueConstraint("policy_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    sum_insured: Mapped[Decimal | None] = mapped_column(Money)
    insured_value: Mapped[Decimal | None] = mapped_column(Money)
    deductible_amount: Mapped[Decimal | None] = mapped_column(Money)
    deductible_rate: Mapped[Decimal | None] = mapped_column(DecimalText)
    per_occurrence_limit: Mapped[Decimal | None] = mapped_column(Money)
    aggregate_limit: Mapped[Decimal | None] = mapped_column(Money)
    # The amount engine's policy options for this section (basis, salvage, sum_insured_reduces,
    # liability_ratio, deductible_kind, deductible_rate_base); empty = the plain steps.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))

    policy: Mapped[Policy] = relationship(back_populates="sections")
